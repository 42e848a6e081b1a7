// Package convert translates Envoy v3 xDS resources (Cluster,
// ClusterLoadAssignment, RouteConfiguration, Listener) into the core
// config model (github.com/seed405ffdea/mosn/core/config).
//
// Conversion is pure: no I/O, no state. Every Envoy field with a home in
// the model is carried over, also where core refuses the feature today
// (TLS, several filter chains, filter_chain_match, listener filters,
// tcp_proxy, retries): core's validation then names the field and says
// "not supported yet", and the xDS client NACKs with that reason. A field
// with no home in the model is either harmless to drop (it is then
// reported in Notes) or changes behaviour, and then the resource is
// refused with an error naming the field.
package convert

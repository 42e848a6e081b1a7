// Package config is the MOSN v2 configuration model of the proxy: the typed
// structs every configuration source fills in (a MOSN JSON or YAML file
// today; the xDS adapter and the admin API later), a strict loader, and the
// validator that decides whether the running binary can apply a
// configuration.
//
// Loading is strict. A key that is not in MOSN's schema, a value of the
// wrong type, a duplicate key or a malformed duration is an error that
// names the full path of the field:
//
//	mosn.json: servers[0].listeners[1].filter_chains[0].filters[0].config.downstream_protocl: unknown field
//	mosn.json: servers[0].graceful_timeout: invalid duration "5 s"
//
// Fields MOSN has but this binary does not implement yet are recognised,
// accepted while they hold their zero value, and refused when set, with an
// error wrapping ErrNotSupported:
//
//	mosn.json: servers[0].listeners[0].filter_chains[0].tls_context.type: TLS provider type "gm" is not supported yet (built in: "default")
//
// Only the first problem is reported, in a fixed order, so the same file
// always gives the same message.
//
// Use Load for a file, or Parse and then Validate (or ValidateWith, giving
// the filter types a distro links in). After a successful Validate every
// field holds its effective value: defaults are filled in, and each
// "proxy" filter's config is decoded into FilterConfig.Proxy. The full
// reference is docs/configuration.md; docs/compatibility.md records what
// happens to each of MOSN's example configurations.
package config

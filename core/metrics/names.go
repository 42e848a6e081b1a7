package metrics

// Naming schemes (Options.Naming), spelled as the config's metrics.naming.
const (
	// NamingEnvoy names metrics as Envoy's /stats/prometheus does, so
	// Envoy and Istio dashboards work unchanged. The default.
	NamingEnvoy = "envoy"
	// NamingMOSN names metrics after MOSN's metric keys, prefixed "mosn_".
	NamingMOSN = "mosn"
)

// family is one metric family: its name, help and the kind of value.
type family struct {
	name, help string
	kind       kind
}

type kind uint8

const (
	counter kind = iota
	gauge
	histogram
)

// names is a naming scheme: a family per metric and the label names of
// each scope. Envoy's names are the stat names of Envoy's Prometheus
// output (a tag-extracted stat, "cluster.reviews.upstream_rq_200",
// becomes envoy_cluster_upstream_rq{envoy_cluster_name="reviews",
// envoy_response_code="200"}).
type names struct {
	// Label names.
	listenerLabel, httpLabel, clusterLabel, hostLabel, classLabel, codeLabel string

	// Listener.
	lnCxTotal, lnCxActive, lnCxDestroy family

	// HTTP connection manager (the proxy filter).
	httpRqTotal, httpRqActive, httpRqXX, httpRqTime                 family
	httpCxTotal, httpCxActive, httpCxDestroy                        family
	httpRxBytes, httpTxBytes                                        family
	httpProtocolError, httpTooLarge, httpHeaderTimeout, httpNoRoute family

	// Cluster.
	clRqTotal, clRqCompleted, clRqXX, clRqCode, clRqTime, clRqActive       family
	clRqTimeout, clRqPerTryTimeout, clRqPendingOverflow, clRqRxReset       family
	clRqRetry, clRqRetrySuccess, clRqRetryOverflow                         family
	clCxTotal, clCxActive, clCxDestroy, clCxConnectFail, clCxProtocolError family
	clCxNoneHealthy                                                        family
	clRxBytes, clTxBytes                                                   family
	clMembershipTotal, clMembershipHealthy, clEjectionsActive              family
	clHCAttempt, clHCSuccess, clHCFailure, clEjectionsTotal                family

	// Host.
	hRqTotal, hRqSuccess, hRqError, hRqTimeout, hRqTime, hRqActive, hCxActive, hHealthy family

	// Access logs (both schemes).
	accessLogDropped family
}

func c(name, help string) family { return family{name, help, counter} }
func g(name, help string) family { return family{name, help, gauge} }
func h(name, help string) family { return family{name, help, histogram} }

var envoyNames = &names{
	listenerLabel: "envoy_listener_address",
	httpLabel:     "envoy_http_conn_manager_prefix",
	clusterLabel:  "envoy_cluster_name",
	hostLabel:     "upstream_host",
	classLabel:    "envoy_response_code_class",
	codeLabel:     "envoy_response_code",

	lnCxTotal:   c("envoy_listener_downstream_cx_total", "Total connections accepted."),
	lnCxActive:  g("envoy_listener_downstream_cx_active", "Connections open."),
	lnCxDestroy: c("envoy_listener_downstream_cx_destroy", "Total connections closed."),

	httpRqTotal:       c("envoy_http_downstream_rq_total", "Total requests."),
	httpRqActive:      g("envoy_http_downstream_rq_active", "Requests in flight."),
	httpRqXX:          c("envoy_http_downstream_rq_xx", "Responses by status class."),
	httpRqTime:        h("envoy_http_downstream_rq_time", "Request time, first byte in to last byte out, in milliseconds."),
	httpCxTotal:       c("envoy_http_downstream_cx_total", "Total connections."),
	httpCxActive:      g("envoy_http_downstream_cx_active", "Connections open."),
	httpCxDestroy:     c("envoy_http_downstream_cx_destroy", "Total connections closed."),
	httpRxBytes:       c("envoy_http_downstream_cx_rx_bytes_total", "Request body bytes received."),
	httpTxBytes:       c("envoy_http_downstream_cx_tx_bytes_total", "Response body bytes sent."),
	httpProtocolError: c("envoy_http_downstream_cx_protocol_error", "Requests refused as malformed (DPE)."),
	httpTooLarge:      c("envoy_http_downstream_rq_too_large", "Requests refused with 413 or 431."),
	httpHeaderTimeout: c("envoy_http_downstream_rq_header_timeout", "Requests whose head did not arrive in time (408)."),
	httpNoRoute:       c("envoy_http_no_route", "Requests no route matched (NR)."),

	clRqTotal:           c("envoy_cluster_upstream_rq_total", "Requests sent to the cluster."),
	clRqCompleted:       c("envoy_cluster_upstream_rq_completed", "Requests answered, by the upstream or by the proxy on its behalf."),
	clRqXX:              c("envoy_cluster_upstream_rq_xx", "Responses by status class."),
	clRqCode:            c("envoy_cluster_upstream_rq", "Responses by status code."),
	clRqTime:            h("envoy_cluster_upstream_rq_time", "Request time in milliseconds."),
	clRqActive:          g("envoy_cluster_upstream_rq_active", "Requests in flight."),
	clRqTimeout:         c("envoy_cluster_upstream_rq_timeout", "Requests that timed out waiting for a response (UT)."),
	clRqPerTryTimeout:   c("envoy_cluster_upstream_rq_per_try_timeout", "Attempts that hit the per-try timeout."),
	clRqPendingOverflow: c("envoy_cluster_upstream_rq_pending_overflow", "Requests refused by a circuit breaker (UO)."),
	clRqRxReset:         c("envoy_cluster_upstream_rq_rx_reset", "Requests reset by the upstream (UR)."),
	clRqRetry:           c("envoy_cluster_upstream_rq_retry", "Retries."),
	clRqRetrySuccess:    c("envoy_cluster_upstream_rq_retry_success", "Retries that succeeded."),
	clRqRetryOverflow:   c("envoy_cluster_upstream_rq_retry_overflow", "Retries not made because of the retry circuit breaker."),
	clCxTotal:           c("envoy_cluster_upstream_cx_total", "Connections opened (connect attempts)."),
	clCxActive:          g("envoy_cluster_upstream_cx_active", "Connections open."),
	clCxDestroy:         c("envoy_cluster_upstream_cx_destroy", "Connections closed."),
	clCxConnectFail:     c("envoy_cluster_upstream_cx_connect_fail", "Failed connects (UF)."),
	clCxNoneHealthy:     c("envoy_cluster_upstream_cx_none_healthy", "Requests refused for want of a healthy host (UH)."),
	clCxProtocolError:   c("envoy_cluster_upstream_cx_protocol_error", "Malformed responses (UPE)."),
	clRxBytes:           c("envoy_cluster_upstream_cx_rx_bytes_total", "Response body bytes received."),
	clTxBytes:           c("envoy_cluster_upstream_cx_tx_bytes_total", "Request body bytes sent."),
	clMembershipTotal:   g("envoy_cluster_membership_total", "Hosts in the cluster."),
	clMembershipHealthy: g("envoy_cluster_membership_healthy", "Healthy hosts in the cluster."),
	clEjectionsActive:   g("envoy_cluster_outlier_detection_ejections_active", "Hosts ejected by outlier detection."),
	clHCAttempt:         c("envoy_cluster_health_check_attempt", "Active health checks run."),
	clHCSuccess:         c("envoy_cluster_health_check_success", "Active health checks passed."),
	clHCFailure:         c("envoy_cluster_health_check_failure", "Active health checks failed."),
	clEjectionsTotal:    c("envoy_cluster_outlier_detection_ejections_enforced_total", "Hosts ejected by outlier detection."),

	hRqTotal:   c("envoy_cluster_host_rq_total", "Requests sent to the host."),
	hRqSuccess: c("envoy_cluster_host_rq_success", "Requests to the host that did not fail (no 5xx, no connection failure)."),
	hRqError:   c("envoy_cluster_host_rq_error", "Requests to the host that failed (5xx or connection failure)."),
	hRqTimeout: c("envoy_cluster_host_rq_timeout", "Requests to the host that timed out."),
	hRqTime:    h("envoy_cluster_host_rq_time", "Request time to the host in milliseconds."),
	hRqActive:  g("envoy_cluster_host_rq_active", "Requests in flight to the host."),
	hCxActive:  g("envoy_cluster_host_cx_active", "Connections open to the host."),
	hHealthy:   g("envoy_cluster_host_healthy", "1 when the host takes traffic (passes health checks, not ejected)."),

	accessLogDropped: c("mosn_access_log_dropped_total", "Access log lines lost: output behind or failing."),
}

var mosnNames = &names{
	listenerLabel: "listener",
	httpLabel:     "proxy",
	clusterLabel:  "cluster",
	hostLabel:     "host",
	classLabel:    "response_code_class",
	codeLabel:     "response_code",

	lnCxTotal:   c("mosn_downstream_connection_total", "Total connections accepted."),
	lnCxActive:  g("mosn_downstream_connection_active", "Connections open."),
	lnCxDestroy: c("mosn_downstream_connection_destroy", "Total connections closed."),

	httpRqTotal:       c("mosn_downstream_request_total", "Total requests."),
	httpRqActive:      g("mosn_downstream_request_active", "Requests in flight."),
	httpRqXX:          c("mosn_downstream_request_xx", "Responses by status class."),
	httpRqTime:        h("mosn_downstream_request_time", "Request time in milliseconds."),
	httpCxTotal:       c("mosn_proxy_connection_total", "Total connections."),
	httpCxActive:      g("mosn_proxy_connection_active", "Connections open."),
	httpCxDestroy:     c("mosn_proxy_connection_destroy", "Total connections closed."),
	httpRxBytes:       c("mosn_downstream_bytes_read_total", "Request body bytes received."),
	httpTxBytes:       c("mosn_downstream_bytes_write_total", "Response body bytes sent."),
	httpProtocolError: c("mosn_downstream_request_protocol_error", "Requests refused as malformed."),
	httpTooLarge:      c("mosn_downstream_request_too_large", "Requests refused with 413 or 431."),
	httpHeaderTimeout: c("mosn_downstream_request_header_timeout", "Requests whose head did not arrive in time (408)."),
	httpNoRoute:       c("mosn_downstream_request_no_route", "Requests no route matched."),

	clRqTotal:           c("mosn_upstream_request_total", "Requests sent to the cluster."),
	clRqCompleted:       c("mosn_upstream_request_completed", "Requests answered."),
	clRqXX:              c("mosn_upstream_request_xx", "Responses by status class."),
	clRqCode:            c("mosn_upstream_request_code", "Responses by status code."),
	clRqTime:            h("mosn_upstream_request_duration", "Request time in milliseconds."),
	clRqActive:          g("mosn_upstream_request_active", "Requests in flight."),
	clRqTimeout:         c("mosn_upstream_request_timeout", "Requests that timed out."),
	clRqPerTryTimeout:   c("mosn_upstream_request_per_try_timeout", "Attempts that hit the per-try timeout."),
	clRqPendingOverflow: c("mosn_upstream_request_pending_overflow", "Requests refused by a circuit breaker."),
	clRqRxReset:         c("mosn_upstream_request_remote_reset", "Requests reset by the upstream."),
	clRqRetry:           c("mosn_upstream_request_retry", "Retries."),
	clRqRetrySuccess:    c("mosn_upstream_request_retry_success", "Retries that succeeded."),
	clRqRetryOverflow:   c("mosn_upstream_request_retry_overflow", "Retries refused by the retry circuit breaker."),
	clCxTotal:           c("mosn_upstream_connection_total", "Connections opened."),
	clCxActive:          g("mosn_upstream_connection_active", "Connections open."),
	clCxDestroy:         c("mosn_upstream_connection_close", "Connections closed."),
	clCxConnectFail:     c("mosn_upstream_connection_con_fail", "Failed connects."),
	clCxNoneHealthy:     c("mosn_upstream_request_no_healthy_host", "Requests refused for want of a healthy host."),
	clCxProtocolError:   c("mosn_upstream_connection_protocol_error", "Malformed responses."),
	clRxBytes:           c("mosn_upstream_bytes_read_total", "Response body bytes received."),
	clTxBytes:           c("mosn_upstream_bytes_write_total", "Request body bytes sent."),
	clMembershipTotal:   g("mosn_upstream_hosts", "Hosts in the cluster."),
	clMembershipHealthy: g("mosn_upstream_healthy_hosts", "Healthy hosts in the cluster."),
	clEjectionsActive:   g("mosn_upstream_ejected_hosts", "Hosts ejected by outlier detection."),
	clHCAttempt:         c("mosn_upstream_health_check_total", "Active health checks run."),
	clHCSuccess:         c("mosn_upstream_health_check_success_total", "Active health checks passed."),
	clHCFailure:         c("mosn_upstream_health_check_failure_total", "Active health checks failed."),
	clEjectionsTotal:    c("mosn_upstream_ejections_total", "Hosts ejected by outlier detection."),

	hRqTotal:   c("mosn_host_request_total", "Requests sent to the host."),
	hRqSuccess: c("mosn_host_response_success", "Requests to the host that did not fail."),
	hRqError:   c("mosn_host_response_failed", "Requests to the host that failed."),
	hRqTimeout: c("mosn_host_request_timeout", "Requests to the host that timed out."),
	hRqTime:    h("mosn_host_request_duration", "Request time to the host in milliseconds."),
	hRqActive:  g("mosn_host_request_active", "Requests in flight to the host."),
	hCxActive:  g("mosn_host_connection_active", "Connections open to the host."),
	hHealthy:   g("mosn_host_healthy", "1 when the host takes traffic."),

	accessLogDropped: c("mosn_access_log_dropped_total", "Access log lines lost: output behind or failing."),
}

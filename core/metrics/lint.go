package metrics

import "strings"

// AllowedLintProblem reports whether a problem that promtool check
// metrics (or client_golang's testutil.GatherAndLint, the same linter)
// finds in our scrape is one the compatibility names make on purpose:
//
//   - Envoy's counters do not end in "_total"
//     (envoy_cluster_upstream_rq_xx, envoy_cluster_upstream_cx_connect_fail,
//     ...): Envoy, and so every dashboard, names them so. The same holds
//     for MOSN's names (mosn_upstream_request_timeout, ...).
//   - Envoy's gauge envoy_cluster_membership_total ends in "_total",
//     which promtool reserves for counters: Envoy names it so.
//   - istio_request_duration_milliseconds is in milliseconds, not the
//     base unit: Istio names it so.
//
// Anything else is a real problem. docs/observability.md lists the
// allow-list.
func AllowedLintProblem(metric, text string) bool {
	switch {
	case strings.Contains(text, `counter metrics should have "_total" suffix`):
		return strings.HasPrefix(metric, "envoy_") || strings.HasPrefix(metric, "mosn_")
	case strings.Contains(text, `non-counter metrics should not have "_total" suffix`):
		return metric == envoyNames.clMembershipTotal.name
	case strings.Contains(text, "use base unit"):
		return metric == istioRequestDuration
	}
	return false
}

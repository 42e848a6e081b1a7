package config

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
)

// Metric naming schemes (MetricsConfig.Naming).
const (
	// MetricsNamingEnvoy names metrics as Envoy's Prometheus endpoint does
	// (envoy_cluster_upstream_rq_total{envoy_cluster_name="..."}), so
	// Envoy and Istio dashboards work unchanged. The default.
	MetricsNamingEnvoy = "envoy"
	// MetricsNamingMOSN names metrics after MOSN's keys
	// (mosn_upstream_request_total{cluster="..."}).
	MetricsNamingMOSN = "mosn"
)

// Istio reporters (IstioMetricsConfig.Reporter).
const (
	IstioReporterSource      = "source"
	IstioReporterDestination = "destination"
)

// DefaultPrometheusEndpoint is the path a prometheus sink serves when its
// endpoint is empty (MOSN's default).
const DefaultPrometheusEndpoint = "/metrics"

// MetricsConfig is MOSN's "metrics" block plus this project's naming and
// Istio switches. Metrics are always collected; the block chooses their
// names and where else than the admin listener's /stats/prometheus they
// are served.
type MetricsConfig struct {
	// Sinks are MOSN's metric sinks. Only "prometheus" is supported: it
	// serves the metrics on a listener of its own (Istio scrapes 15090).
	Sinks []MetricsSinkConfig `json:"sinks,omitempty"`
	// StatsMatcher (MOSN: reject metrics by name or label) is not
	// supported yet when set.
	StatsMatcher json.RawMessage `json:"stats_matcher,omitempty"`
	// ShmZone and ShmSize (MOSN: keep metrics in shared memory across a
	// hot upgrade) are not supported yet when set.
	ShmZone string `json:"shm_zone,omitempty"`
	ShmSize string `json:"shm_size,omitempty"`
	// FlushInterval, FlushMosn and LazyFlush (MOSN: how push sinks and
	// the console sink flush) are accepted and ignored: the prometheus
	// sink is scraped, not flushed.
	FlushInterval Duration `json:"flush_interval,omitempty"`
	FlushMosn     bool     `json:"flush_mosn,omitempty"`
	LazyFlush     bool     `json:"lazy_flush,omitempty"`
	// Sample (MOSN: sampling of histograms) is not supported yet when set.
	Sample json.RawMessage `json:"sample,omitempty"`

	// The fields below are this project's additions.

	// Naming is MetricsNamingEnvoy (default, also "") or
	// MetricsNamingMOSN.
	Naming string `json:"naming,omitempty"`
	// Istio, when Sidecar is true, adds Istio's standard metrics
	// (istio_requests_total, istio_request_duration_milliseconds,
	// istio_request_bytes, istio_response_bytes). nil means off.
	Istio *IstioMetricsConfig `json:"istio,omitempty"`
}

// MetricsSinkConfig is one of MOSN's metric sinks.
type MetricsSinkConfig struct {
	// Type is "prometheus" (required).
	Type string `json:"type"`
	// Config is the sink's configuration, decoded by Validate.
	Config json.RawMessage `json:"config,omitempty" decode:"object"`
	// Prometheus is Config decoded, for Type "prometheus"; filled by
	// Validate.
	Prometheus *PrometheusSinkConfig `json:"-"`
}

// PrometheusSinkConfig is the config of MOSN's prometheus sink.
type PrometheusSinkConfig struct {
	// Port is the port to serve on, on every interface as MOSN binds it.
	// Required unless Address is set.
	Port int `json:"port,omitempty"`
	// Address is "ip:port" to serve on (our addition: e.g. a loopback
	// address, or port 0 in tests); it overrides Port.
	Address string `json:"address,omitempty"`
	// Endpoint is the path served; empty means DefaultPrometheusEndpoint
	// ("/metrics"). It must start with "/".
	Endpoint string `json:"endpoint,omitempty"`
	// ExportURL (MOSN: push to a Pushgateway) is not supported yet.
	ExportURL string `json:"export_url,omitempty"`
	// DisableCollectProcess and DisableCollectGo leave out the process
	// (process_*) and Go runtime (go_*) collectors, which are on by
	// default as in MOSN.
	DisableCollectProcess bool `json:"disable_collect_process,omitempty"`
	DisableCollectGo      bool `json:"disable_collect_go,omitempty"`
}

// ListenAddress returns the address the sink listens on: Address, or
// ":Port" (every interface) as MOSN binds it.
func (p *PrometheusSinkConfig) ListenAddress() string {
	if p.Address != "" {
		return p.Address
	}
	return net.JoinHostPort("", strconv.Itoa(p.Port))
}

// IstioMetricsConfig turns on Istio's standard metrics and gives the
// labels that describe this workload; pilot-agent knows them from the
// pod (ISTIO_META_WORKLOAD_NAME, POD_NAMESPACE, the app and version
// labels).
type IstioMetricsConfig struct {
	// Sidecar says this node runs as an Istio sidecar: the switch.
	Sidecar bool `json:"sidecar"`
	// Reporter is IstioReporterSource (default: the client-side proxy,
	// outbound traffic) or IstioReporterDestination (inbound).
	Reporter string `json:"reporter,omitempty"`
	// Workload, Namespace, App, Version, Principal and Cluster describe
	// this workload: they fill the source_* labels when the reporter is
	// the source and the destination_* labels when it is the
	// destination. Empty values are reported as "unknown", as Istio does.
	Workload  string `json:"workload,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	App       string `json:"app,omitempty"`
	Version   string `json:"version,omitempty"`
	Principal string `json:"principal,omitempty"`
	Cluster   string `json:"cluster,omitempty"`
}

func (v *validator) metrics(m *MetricsConfig, path string) error {
	if !rawIsZero(m.StatsMatcher) {
		return notSupported(path+".stats_matcher", "")
	}
	if !rawIsZero(m.Sample) {
		return notSupported(path+".sample", "")
	}
	switch {
	case m.ShmZone != "":
		return notSupported(path+".shm_zone", "keeping metrics in shared memory")
	case m.ShmSize != "":
		return notSupported(path+".shm_size", "keeping metrics in shared memory")
	}
	switch m.Naming {
	case "":
		m.Naming = MetricsNamingEnvoy
	case MetricsNamingEnvoy, MetricsNamingMOSN:
	default:
		return unknownValue(path+".naming", "metrics naming", m.Naming, []string{MetricsNamingEnvoy, MetricsNamingMOSN})
	}
	if is := m.Istio; is != nil {
		switch is.Reporter {
		case "":
			is.Reporter = IstioReporterSource
		case IstioReporterSource, IstioReporterDestination:
		default:
			return unknownValue(path+".istio.reporter", "reporter", is.Reporter, []string{IstioReporterSource, IstioReporterDestination})
		}
	}
	prom := 0
	for i := range m.Sinks {
		s := &m.Sinks[i]
		sp := indexPath(path+".sinks", i)
		switch s.Type {
		case "":
			return fieldErr(sp+".type", "required")
		case "prometheus":
		default:
			return notSupportedf(sp+".type", "metrics sink %q", s.Type)
		}
		if prom++; prom > 1 {
			return notSupported(sp, "more than one prometheus sink")
		}
		p := &PrometheusSinkConfig{}
		warnings, err := decodeRawJSON(s.Config, p, sp+".config")
		if err != nil {
			return err
		}
		v.warnings = append(v.warnings, warnings...)
		cp := sp + ".config"
		switch {
		case p.ExportURL != "":
			return notSupported(cp+".export_url", "pushing to a Pushgateway")
		case p.Address != "":
			if _, _, err := checkAddr(p.Address, 0); err != nil {
				return causeErr(cp+".address", err, "invalid address %q: %v", p.Address, err)
			}
		case p.Port <= 0 || p.Port > 65535:
			return fieldErr(cp+".port", "a port from 1 to 65535 is required, got %d", p.Port)
		}
		switch {
		case p.Endpoint == "":
			p.Endpoint = DefaultPrometheusEndpoint
		case !strings.HasPrefix(p.Endpoint, "/"):
			return fieldErr(cp+".endpoint", "must start with \"/\", got %q", p.Endpoint)
		}
		s.Prometheus = p
	}
	return nil
}

package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	mlog "github.com/seed405ffdea/mosn/pkg/log"
)

// Known lists the extensions the running binary has: a filter type outside
// these sets is refused as not supported yet. A distro builds it from the
// extensions it links in; Builtins is what core provides alone.
type Known struct {
	// NetworkFilters are the network filter types ("proxy", ...).
	NetworkFilters map[string]bool
	// StreamFilters are the stream filter types.
	StreamFilters map[string]bool
	// Tracers are the tracing drivers (tracing.driver).
	Tracers map[string]bool
	// TLSProviders are the tls_context types besides crypto/tls ("gm");
	// nil means none.
	TLSProviders map[string]bool
}

// Builtins returns the filters core implements itself: the "proxy",
// "tcp_proxy" and "udp_proxy" network filters and no stream filters. Each call returns new maps.
func Builtins() Known {
	return Known{
		NetworkFilters: map[string]bool{"proxy": true, TCPProxyType: true, UDPProxyType: true},
		StreamFilters:  map[string]bool{},
		Tracers:        map[string]bool{},
	}
}

// Validate is ValidateWith(Builtins()).
func (c *MOSNConfig) Validate() error { return c.ValidateWith(Builtins()) }

// ValidateWith checks the configuration and fills in defaults in place
// (see the field comments; e.g. a zero graceful_timeout becomes 30s, a nil
// connect_timeout 10s, a weight of 0 becomes 1) and decodes each "proxy"
// filter's config into FilterConfig.Proxy. It returns the first problem,
// as a *FieldError "<path>: <reason>"; refusals of MOSN features this
// binary lacks wrap ErrNotSupported.
//
// Checks run in a fixed order: process-wide features first, then cluster
// names, then the server (route table names, listeners, route tables),
// then the clusters, then the admin block; within each, in list order.
// Names are checked before the references to them. Warnings found while
// decoding filter configs are added to c.Warnings. On error the
// configuration may be partly defaulted and should be discarded. Validate
// is idempotent.
func (c *MOSNConfig) ValidateWith(k Known) error {
	v := &validator{known: k}
	defer func() {
		for _, w := range v.warnings {
			if !contains(c.Warnings, w) {
				c.Warnings = append(c.Warnings, w)
			}
		}
	}()
	if err := v.processWide(c); err != nil {
		return err
	}
	// Names come before references, so that a missing or repeated name is
	// reported as such rather than as a dangling reference to it.
	clusters, err := names(len(c.ClusterManager.Clusters), "cluster_manager.clusters", ".name", "cluster",
		func(i int) string { return c.ClusterManager.Clusters[i].Name })
	if err != nil {
		return err
	}
	v.clusters = clusters
	if len(c.Servers) == 0 {
		return fieldErr("servers", "at least one server is required")
	}
	if len(c.Servers) > 1 {
		return notSupported("servers[1]", "more than one server")
	}
	if err := v.server(&c.Servers[0], "servers[0]"); err != nil {
		return err
	}
	if err := v.clusterManager(&c.ClusterManager, "cluster_manager"); err != nil {
		return err
	}
	if c.Admin != nil {
		if err := v.admin(c.Admin, "admin"); err != nil {
			return err
		}
	}
	return nil
}

type validator struct {
	known Known
	// clusters maps each cluster name to the path of its first definition.
	clusters map[string]string
	// routers maps each route table name of the server being validated to
	// its path.
	routers map[string]string
	// listenerNames and listenerAddrs map to the path of the first listener
	// using them.
	listenerNames map[string]string
	listenerAddrs map[string]string
	// warnings from decoding filter configs.
	warnings []string
}

// processWide refuses the top-level MOSN features not implemented yet.
// mosnTracers are the tracing drivers MOSN ships; a config naming one that
// this binary lacks is refused as "not supported yet", any other name as
// unknown.
var mosnTracers = []string{"SOFATracer", "SOFATRACER", "jaeger", "skywalking", "zipkin", "opentelemetry", "otel"}

func (v *validator) processWide(c *MOSNConfig) error {
	if t := c.Tracing; t != nil && t.Enable {
		driver := t.Driver
		if driver == "" {
			driver = t.Tracer // MOSN's older spelling
		}
		switch {
		case driver == "":
			return fieldErr("tracing.driver", "required when tracing is enabled")
		case !v.known.Tracers[driver] && contains(mosnTracers, driver):
			return notSupportedf("tracing.driver", "tracer %q", driver)
		case !v.known.Tracers[driver]:
			var ids []string
			for id := range v.known.Tracers {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			return fieldErr("tracing.driver", "unknown tracer %q (registered: %s)", driver, strings.Join(ids, ", "))
		}
	}
	switch {
	case !rawIsZero(c.DynamicResources):
		return notSupported("dynamic_resources", "xDS")
	case !rawIsZero(c.StaticResources):
		return notSupported("static_resources", "xDS")
	case c.CloseGraceful:
		return notSupported("close_graceful", "")
	case c.Metrics != nil:
		if err := v.metrics(c.Metrics, "metrics"); err != nil {
			return err
		}
	}
	switch {
	case c.PProf != nil && (c.PProf.PortValue < 0 || c.PProf.PortValue > 65535):
		return fieldErr("pprof.port_value", "must be 0-65535, got %d", c.PProf.PortValue)
	case c.Plugin != nil && c.Plugin.LogBase != "":
		return notSupported("plugin", "")
	case !rawIsZero(c.ThirdPartCodec):
		return notSupported("third_part_codec", "loading codecs from plugins")
	case !rawIsZero(c.Extends):
		return notSupported("extends", "")
	case !rawIsZero(c.WasmGlobalPlugins):
		return notSupported("wasm_global_plugins", "Wasm")
	case !rawIsZero(c.StreamFilterChains):
		return notSupported("stream_filters", "defining named stream filter chains")
	}
	return nil
}

func (v *validator) server(s *ServerConfig, path string) error {
	// Level names and the roller grammar are pkg/log's, which the server
	// hands them to: one parser, so Validate accepts exactly what runs.
	if s.DefaultLogLevel == "" {
		s.DefaultLogLevel = DefaultLogLevel
	}
	level, err := mlog.ParseLevel(s.DefaultLogLevel)
	if err != nil {
		return causeErr(path+".default_log_level", err, "unknown log level %q (one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL)", s.DefaultLogLevel)
	}
	s.DefaultLogLevel = mlog.LevelName(level)
	if _, err := mlog.ParseRoller(s.GlobalLogRoller); err != nil {
		reason := strings.TrimPrefix(err.Error(), mlog.ErrInvalidRoller.Error()+": ")
		return causeErr(path+".global_log_roller", err, "invalid log roller %q: %s", s.GlobalLogRoller, reason)
	}
	switch {
	case s.NetpollParkAfter.Duration < 0:
		return fieldErr(path+".netpoll_park_after", "must not be negative, got %s", s.NetpollParkAfter)
	case s.UseNetpollMode && s.NetpollParkAfter.Duration == 0:
		s.NetpollParkAfter.Duration = DefaultNetpollParkAfter
	}
	switch {
	case s.GracefulTimeout.Duration < 0:
		return fieldErr(path+".graceful_timeout", "must not be negative, got %s", s.GracefulTimeout)
	case s.GracefulTimeout.Duration == 0:
		s.GracefulTimeout.Duration = DefaultGracefulTimeout
	}
	if s.OptimizeLocalWrite {
		return notSupported(path+".optimize_local_write", "")
	}
	if s.Processor < 0 {
		return fieldErr(path+".processor", "must not be negative, got %d", s.Processor)
	}

	routers, err := names(len(s.Routers), path+".routers", ".router_config_name", "router",
		func(i int) string { return s.Routers[i].RouterConfigName })
	if err != nil {
		return err
	}
	v.routers = routers
	v.listenerNames = map[string]string{}
	v.listenerAddrs = map[string]string{}
	for i := range s.Listeners {
		if err := v.listener(&s.Listeners[i], indexPath(path+".listeners", i)); err != nil {
			return err
		}
	}
	for i := range s.Routers {
		if err := v.router(&s.Routers[i], indexPath(path+".routers", i)); err != nil {
			return err
		}
	}
	return nil
}

// names checks that n named items all have a name and no two share one, and
// maps each name to the path of its item.
func names(n int, listPath, field, what string, name func(int) string) (map[string]string, error) {
	m := make(map[string]string, n)
	for i := 0; i < n; i++ {
		p := indexPath(listPath, i)
		nm := name(i)
		if nm == "" {
			return nil, fieldErr(p+field, "required")
		}
		if first, dup := m[nm]; dup {
			return nil, fieldErr(p+field, "duplicate %s name %q (first at %s)", what, nm, first)
		}
		m[nm] = p
	}
	return m, nil
}

func (v *validator) admin(a *AdminConfig, path string) error {
	sa := &a.Address.SocketAddress
	p := path + ".address.socket_address"
	if sa.Address == "" {
		// The admin API changes the running proxy: loopback unless an
		// address is given.
		sa.Address = DefaultAdminAddress
	}
	if strings.ContainsAny(sa.Address, " /") || strings.Count(sa.Address, ":") == 1 {
		return fieldErr(p+".address", "expected an IP address or host name without a port, got %q", sa.Address)
	}
	if sa.PortValue > 65535 {
		return fieldErr(p+".port_value", "port %d is out of range (0–65535)", sa.PortValue)
	}
	return nil
}

// checkAddr checks "host:port". With minPort 1 a port of 0 is refused.
func checkAddr(addr string, minPort int) (host string, port int, err error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		if ae, ok := err.(*net.AddrError); ok {
			return "", 0, errors.New(ae.Err) // without the repeated address
		}
		return "", 0, err
	}
	port, err = strconv.Atoi(portText)
	if err != nil || port < minPort || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from %d to 65535", portText, minPort)
	}
	if strings.ContainsAny(host, " /") {
		return "", 0, fmt.Errorf("host %q is not an IP address or host name", host)
	}
	return host, port, nil
}

// rawIsZero applies isZeroNode to a raw JSON value; a value that does not
// parse counts as set (so it is refused rather than ignored).
func rawIsZero(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return true
	}
	n, err := parseJSONTree(raw)
	return err == nil && isZeroNode(n)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unknownValue reports a value outside a closed set, suggesting the nearest
// valid one.
func unknownValue(path, what, got string, valid []string) *FieldError {
	return fieldErr(path, "unknown %s %q%s", what, got, suggest(got, valid))
}

// suggest returns ` (did you mean "x"?)` when got is close to one of valid:
// equal ignoring case, or one edit away (two for names longer than four
// characters), a swap of neighbours counting as one edit.
func suggest(got string, valid []string) string {
	limit := 1
	if len(got) > 4 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, s := range valid {
		if strings.EqualFold(got, s) {
			return fmt.Sprintf(" (did you mean %q?)", s)
		}
		if d := editDistance(strings.ToLower(got), strings.ToLower(s)); d < bestDist {
			best, bestDist = s, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the optimal string alignment distance (Levenshtein plus
// swaps of adjacent bytes); inputs are short names.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

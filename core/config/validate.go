package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Known lists the extensions the running binary has: a filter type outside
// these sets is refused as not supported yet. A distro builds it from the
// extensions it links in; Builtins is what core provides alone.
type Known struct {
	// NetworkFilters are the network filter types ("proxy", ...).
	NetworkFilters map[string]bool
	// StreamFilters are the stream filter types.
	StreamFilters map[string]bool
}

// Builtins returns the filters core implements itself: the "proxy" network
// filter and no stream filters. Each call returns new maps.
func Builtins() Known {
	return Known{
		NetworkFilters: map[string]bool{"proxy": true},
		StreamFilters:  map[string]bool{},
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
// Checks run in a fixed order: process-wide features first, then the
// server (its listeners, then its route tables), then the clusters, then
// the admin block; within each, in list order. On error the configuration
// may be partly defaulted and should be discarded. Validate is idempotent.
func (c *MOSNConfig) ValidateWith(k Known) error {
	v := &validator{known: k, clusters: map[string]string{}}
	for i := range c.ClusterManager.Clusters {
		name := c.ClusterManager.Clusters[i].Name
		if _, dup := v.clusters[name]; !dup {
			v.clusters[name] = indexPath("cluster_manager.clusters", i)
		}
	}
	if err := v.processWide(c); err != nil {
		return err
	}
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
}

// processWide refuses the top-level MOSN features not implemented yet.
func (v *validator) processWide(c *MOSNConfig) error {
	switch {
	case !rawIsZero(c.DynamicResources):
		return notSupported("dynamic_resources", "xDS")
	case !rawIsZero(c.StaticResources):
		return notSupported("static_resources", "xDS")
	case c.CloseGraceful:
		return notSupported("close_graceful", "")
	case c.InheritOldMosnconfig:
		return notSupported("inherit_old_mosnconfig", "inheriting the old process's configuration")
	case c.Tracing != nil && c.Tracing.Enable:
		return notSupported("tracing", "")
	case !rawIsZero(c.Metrics):
		return notSupported("metrics", "")
	case c.PProf != nil && c.PProf.Debug:
		return notSupported("pprof", "")
	case c.Pid != "":
		return notSupported("pid", "a pid file")
	case c.UDSDir != "":
		return notSupported("uds_dir", "")
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

// logLevels are MOSN's level names.
var logLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

func (v *validator) server(s *ServerConfig, path string) error {
	if s.DefaultLogLevel == "" {
		s.DefaultLogLevel = DefaultLogLevel
	}
	level := strings.ToUpper(s.DefaultLogLevel)
	if !contains(logLevels, level) {
		return fieldErr(path+".default_log_level", "unknown log level %q (one of %s)",
			s.DefaultLogLevel, strings.Join(logLevels, ", "))
	}
	s.DefaultLogLevel = level
	if _, err := ParseLogRoller(s.GlobalLogRoller); err != nil {
		return causeErr(path+".global_log_roller", err, "%v", err)
	}
	if s.UseNetpollMode {
		return notSupported(path+".use_netpoll_mode", "")
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

	v.routers = map[string]string{}
	for i := range s.Routers {
		name := s.Routers[i].RouterConfigName
		if _, dup := v.routers[name]; !dup {
			v.routers[name] = indexPath(path+".routers", i)
		}
	}
	v.listenerNames = map[string]string{}
	v.listenerAddrs = map[string]string{}
	for i := range s.Listeners {
		if err := v.listener(&s.Listeners[i], indexPath(path+".listeners", i)); err != nil {
			return err
		}
	}
	seen := map[string]string{}
	for i := range s.Routers {
		if err := v.router(&s.Routers[i], indexPath(path+".routers", i), seen); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) admin(a *AdminConfig, path string) error {
	sa := &a.Address.SocketAddress
	p := path + ".address.socket_address"
	if sa.Address == "" {
		return fieldErr(p+".address", "required")
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
// equal ignoring case, or within two edits.
func suggest(got string, valid []string) string {
	best, bestDist := "", 3
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

// editDistance is the Levenshtein distance; inputs are short names.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

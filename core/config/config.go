package config

import (
	"encoding/json"
	"net"
	"strconv"
	"time"
)

// Defaults applied by Validate. Where MOSN has a default the value is
// MOSN's, and the comment names where MOSN keeps it.
const (
	// DefaultGracefulTimeout is how long a stopping or upgrading server
	// waits for connections to finish (MOSN: server.GracefulTimeout).
	DefaultGracefulTimeout = 30 * time.Second
	// DefaultConnectionIdleTimeout closes downstream connections idle for
	// this long (MOSN: types.DefaultIdleTimeout).
	DefaultConnectionIdleTimeout = 90 * time.Second
	// DefaultConnectTimeout bounds an upstream TCP connect (MOSN:
	// network.DefaultConnectTimeout).
	DefaultConnectTimeout = 10 * time.Second
	// DefaultRouteTimeout bounds a whole proxied request when the route sets
	// no timeout (MOSN: types.GlobalTimeout).
	DefaultRouteTimeout = 60 * time.Second
	// DefaultNetpollParkAfter is how long a connection is idle before
	// use_netpoll_mode parks it.
	DefaultNetpollParkAfter = 20 * time.Millisecond
	// DefaultMaxRequestPerConn is a cluster's max_request_per_conn when zero
	// (MOSN: v2.DefaultMaxRequestPerConn).
	DefaultMaxRequestPerConn = 1024
	// DefaultConnBufferLimitBytes is a cluster's conn_buffer_limit_bytes when
	// zero (MOSN: v2.DefaultConnBufferLimitBytes).
	DefaultConnBufferLimitBytes = 16 * 1024
	// MinHostWeight and MaxHostWeight bound a host's weight (MOSN:
	// v2.MinHostWeight, v2.MaxHostWeight). A weight of 0 means
	// MinHostWeight.
	MinHostWeight = 1
	MaxHostWeight = 128
	// DefaultLogLevel is a server's default_log_level when empty.
	DefaultLogLevel = "INFO"
	// DefaultNetwork is a listener's network when empty.
	DefaultNetwork = "tcp"
	// DefaultDownstreamProtocol is the proxy filter's downstream_protocol when empty
	// (MOSN: protocol.Auto).
	DefaultDownstreamProtocol = "Auto"
)

// Circuit-breaker defaults (MOSN: cluster.DefaultMaxConnections and
// friends in its resource manager).
const (
	DefaultMaxConnections     = 10240
	DefaultMaxPendingRequests = 10240
	DefaultMaxRequests        = 10240
	DefaultMaxRetries         = 3
)

// MOSNConfig is a whole MOSN v2 configuration file. Parse and Load build
// one; Validate checks it and fills in defaults so that, after a successful
// Validate, every field the engine reads holds its effective value.
//
// Fields after DisableUpgrade belong to MOSN's schema but are not
// implemented by this binary yet: they may be present when they hold their
// zero value, and Validate refuses them (wrapping ErrNotSupported) when they
// are set.
type MOSNConfig struct {
	// Servers holds exactly one server (MOSN uses only the first).
	Servers []ServerConfig `json:"servers"`
	// ClusterManager holds the upstream clusters.
	ClusterManager ClusterManagerConfig `json:"cluster_manager"`
	// Admin enables the admin API; nil means no admin listener.
	Admin *AdminConfig `json:"admin,omitempty"`
	// DisableUpgrade turns hot upgrade off: the process neither hands its
	// listeners to a successor nor inherits them from a predecessor.
	DisableUpgrade bool `json:"disable_upgrade,omitempty"`

	// CloseGraceful (MOSN: stop accepting and drain on SIGTERM); not
	// supported yet when true.
	CloseGraceful bool `json:"close_graceful,omitempty"`
	// InheritOldMosnconfig makes a process that upgrades from a running
	// one take that process's running configuration instead of its own
	// file's (the file still says where uds_dir is).
	InheritOldMosnconfig bool `json:"inherit_old_mosnconfig,omitempty"`
	// Tracing is not supported yet when enabled.
	Tracing *TracingConfig `json:"tracing,omitempty"`
	// Metrics names the metrics and adds a prometheus listener (sinks);
	// nil means Envoy names, served on the admin listener only.
	Metrics *MetricsConfig `json:"metrics,omitempty"`
	// DynamicResources and StaticResources are the xDS bootstrap; xDS is
	// not supported yet.
	DynamicResources json.RawMessage `json:"dynamic_resources,omitempty"`
	StaticResources  json.RawMessage `json:"static_resources,omitempty"`
	// PProf serves Go's net/http/pprof on 127.0.0.1:port_value when debug
	// is true.
	PProf *PProfConfig `json:"pprof,omitempty"`
	// Pid names the pid file "mosn start" writes (and removes on exit);
	// the --pid-file flag overrides it. Empty means none.
	Pid string `json:"pid,omitempty"`
	// UDSDir is the directory of the hot-upgrade socket (reconfigure.sock);
	// empty means MOSN's default, /home/admin/mosn/conf, used only if it
	// exists.
	UDSDir string `json:"uds_dir,omitempty"`
	// Plugin configures MOSN's process plugins; not supported yet.
	Plugin *PluginConfig `json:"plugin,omitempty"`
	// ThirdPartCodec loads codecs from Go plugins or Wasm; not supported yet.
	ThirdPartCodec json.RawMessage `json:"third_part_codec,omitempty"`
	// Extends holds MOSN's typed extension blocks; not supported yet.
	Extends json.RawMessage `json:"extends,omitempty"`
	// WasmGlobalPlugins is not supported yet.
	WasmGlobalPlugins json.RawMessage `json:"wasm_global_plugins,omitempty"`
	// StreamFilterChains are MOSN's named stream filter chains (top-level
	// "stream_filters"); not supported yet.
	StreamFilterChains json.RawMessage `json:"stream_filters,omitempty"`

	// Warnings lists what Parse accepted but wants a human to see: keys
	// matched ignoring case, legacy keys MOSN ignores. It is not part of the
	// file format.
	Warnings []string `json:"-"`
}

// TracingConfig is MOSN's tracing block.
type TracingConfig struct {
	Enable bool            `json:"enable,omitempty"`
	Tracer string          `json:"tracer,omitempty"` // deprecated in MOSN
	Driver string          `json:"driver,omitempty"`
	Config json.RawMessage `json:"config,omitempty"`
}

// PProfConfig is MOSN's pprof block.
type PProfConfig struct {
	// Debug turns the profiling endpoint on.
	Debug bool `json:"debug,omitempty"`
	// PortValue is the port on 127.0.0.1 (MOSN binds every interface; a
	// profiling endpoint has no business outside the host). Zero means
	// DefaultPProfPort (34902, MOSN's).
	PortValue int `json:"port_value,omitempty"`
}

// DefaultPProfPort is MOSN's default pprof port.
const DefaultPProfPort = 34902

// PluginConfig is MOSN's plugin block.
type PluginConfig struct {
	LogBase string `json:"log_base,omitempty"`
}

// ServerConfig is one MOSN server: process-wide logging and shutdown
// settings plus the listeners and route tables.
type ServerConfig struct {
	// ServerName names the server in logs and the admin API. MOSN spells
	// the key "mosn_server_name".
	ServerName string `json:"mosn_server_name,omitempty"`
	// DefaultLogPath is the error log: a file path, "stdout" or "stderr".
	// Empty means standard error.
	DefaultLogPath string `json:"default_log_path,omitempty"`
	// DefaultLogLevel is one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL
	// (any case; Validate stores it upper-case). Empty means INFO.
	DefaultLogLevel string `json:"default_log_level,omitempty"`
	// GlobalLogRoller rotates log files, MOSN syntax
	// "size=100 age=10 keep=10 compress=off" or "time=1" (the grammar and
	// defaults of pkg/log.ParseRoller). Empty means rotate daily.
	GlobalLogRoller string `json:"global_log_roller,omitempty"`
	// UseNetpollMode parks keep-alive connections idle for
	// NetpollParkAfter in an epoll set of their listener's own (MOSN's
	// netpoll mode): an idle connection then holds no goroutine and no
	// buffer. Linux only. Default false.
	UseNetpollMode bool `json:"use_netpoll_mode,omitempty"`
	// NetpollParkAfter is how long a connection must be idle before it is
	// parked (our addition; MOSN parks at once). Zero means
	// DefaultNetpollParkAfter (20ms).
	NetpollParkAfter Duration `json:"netpoll_park_after,omitempty"`
	// GracefulTimeout is how long shutdown and hot upgrade wait for
	// connections to finish. Zero means DefaultGracefulTimeout (30s);
	// negative is refused.
	GracefulTimeout Duration `json:"graceful_timeout"`
	// OptimizeLocalWrite (MOSN) is not supported yet.
	OptimizeLocalWrite bool `json:"optimize_local_write,omitempty"`
	// Processor sets GOMAXPROCS. 0 (or MOSN's "auto") leaves the Go
	// runtime default: all CPUs the process may use, honouring cgroup
	// limits. A numeric string such as "4" is accepted as MOSN does.
	Processor int `json:"processor,omitempty" decode:"processor"`
	// Listeners accept downstream connections.
	Listeners []ListenerConfig `json:"listeners"`
	// Routers are the route tables the proxy filters name.
	Routers []RouterConfig `json:"routers"`
}

// DefaultAdminAddress is the admin listener's IP when the config gives
// none: loopback, since the admin API can change and stop the proxy.
const DefaultAdminAddress = "127.0.0.1"

// AdminConfig is MOSN's admin block (Envoy's Admin shape).
type AdminConfig struct {
	Address AdminAddress `json:"address"`
}

// AdminAddress wraps the socket address, as in Envoy.
type AdminAddress struct {
	SocketAddress SocketAddress `json:"socket_address"`
}

// SocketAddress is an IP (or host name) and a port. Port 0 asks the kernel
// for a free port.
type SocketAddress struct {
	Address   string `json:"address"`
	PortValue uint32 `json:"port_value"`
}

// Addr returns the admin listen address as "host:port", e.g.
// "127.0.0.1:34901" or "[::1]:34901".
func (a *AdminConfig) Addr() string {
	return net.JoinHostPort(a.Address.SocketAddress.Address, strconv.FormatUint(uint64(a.Address.SocketAddress.PortValue), 10))
}

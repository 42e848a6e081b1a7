package upstream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Health check protocols.
const (
	// HealthCheckTCP passes when a TCP connection opens within the timeout.
	HealthCheckTCP = "tcp"
	// HealthCheckHTTP passes when GET HTTP.Path answers one of
	// HTTP.ExpectedStatuses within the timeout.
	HealthCheckHTTP = "http"
)

// Health check defaults (MOSN's where it has one).
const (
	DefaultHealthCheckTimeout  = time.Second
	DefaultHealthCheckInterval = 15 * time.Second
	DefaultHealthyThreshold    = 1
	DefaultUnhealthyThreshold  = 3
)

// HealthCheckOptions configure active health checking: every host is
// checked in its own goroutine; a host that fails UnhealthyThreshold
// checks in a row leaves the balancers until it passes HealthyThreshold in
// a row. Hosts start healthy (as in MOSN).
type HealthCheckOptions struct {
	// Protocol is HealthCheckTCP (also "") or HealthCheckHTTP.
	Protocol string
	// Timeout bounds one check; zero means DefaultHealthCheckTimeout.
	Timeout time.Duration
	// Interval is the time between checks of a host; zero means
	// DefaultHealthCheckInterval.
	Interval time.Duration
	// IntervalJitter adds a random [0, IntervalJitter) to each interval.
	IntervalJitter time.Duration
	// InitialDelay is the wait before a host's first check (plus jitter).
	InitialDelay time.Duration
	// HealthyThreshold and UnhealthyThreshold are the passes and failures
	// in a row that change a host's state; zero means the defaults.
	HealthyThreshold, UnhealthyThreshold uint32
	// HTTP configures HealthCheckHTTP.
	HTTP HTTPHealthCheck
	// EventLogPath, when set, is a file to which every state change is
	// appended as one JSON object per line.
	EventLogPath string
}

// HTTPHealthCheck is the request of an HTTP health check.
type HTTPHealthCheck struct {
	// Path is the request path; empty means "/".
	Path string
	// Host is the Host header; empty means the host's address.
	Host string
	// Port replaces the host's port when non-zero.
	Port int
	// ExpectedStatuses are the passing statuses; empty means 200.
	ExpectedStatuses []int
}

type healthChecker struct {
	c        *Cluster
	o        HealthCheckOptions
	logMu    sync.Mutex
	eventLog *os.File
}

func newHealthChecker(c *Cluster, o HealthCheckOptions) (*healthChecker, error) {
	switch strings.ToLower(o.Protocol) {
	case "", HealthCheckTCP:
		o.Protocol = HealthCheckTCP
	case HealthCheckHTTP:
		o.Protocol = HealthCheckHTTP
	default:
		return nil, fmt.Errorf("unknown protocol %q", o.Protocol)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultHealthCheckTimeout
	}
	if o.Interval <= 0 {
		o.Interval = DefaultHealthCheckInterval
	}
	if o.HealthyThreshold == 0 {
		o.HealthyThreshold = DefaultHealthyThreshold
	}
	if o.UnhealthyThreshold == 0 {
		o.UnhealthyThreshold = DefaultUnhealthyThreshold
	}
	if o.HTTP.Path == "" {
		o.HTTP.Path = "/"
	}
	if len(o.HTTP.ExpectedStatuses) == 0 {
		o.HTTP.ExpectedStatuses = []int{200}
	}
	hc := &healthChecker{c: c, o: o}
	if o.EventLogPath != "" {
		f, err := os.OpenFile(o.EventLogPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("event log: %w", err)
		}
		hc.eventLog = f
	}
	return hc, nil
}

// start checks h until its cluster closes or the host is removed. The
// cluster's mutex is held.
func (hc *healthChecker) start(h *Host) {
	ctx, cancel := context.WithCancel(hc.c.ctx)
	if !hc.c.spawn(func() { hc.run(ctx, h) }) {
		cancel()
		return
	}
	h.st.stopCheck = cancel
}

func (hc *healthChecker) jitter() time.Duration {
	if hc.o.IntervalJitter <= 0 {
		return 0
	}
	return rand.N(hc.o.IntervalJitter)
}

func (hc *healthChecker) run(ctx context.Context, h *Host) {
	t := time.NewTimer(hc.o.InitialDelay + hc.jitter())
	defer t.Stop()
	var passes, failures uint32
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := hc.check(ctx, h.address)
		if ctx.Err() != nil {
			return
		}
		hc.c.stats.HealthCheckAttempts.Add(1)
		if err == nil {
			hc.c.stats.HealthCheckSuccesses.Add(1)
		} else {
			hc.c.stats.HealthCheckFailures.Add(1)
		}
		st := h.st
		failed := st.flags.Load()&flagFailedActiveHC != 0
		if err == nil {
			passes, failures = passes+1, 0
			if failed && passes >= hc.o.HealthyThreshold {
				st.setFlag(flagFailedActiveHC, false)
				// As Envoy (successful_active_health_check_uneject_host):
				// a host that passes again is no longer an outlier.
				if hc.c.outlier != nil {
					hc.c.outlier.forgive(st)
				}
				hc.c.healthChanged()
				hc.event(h, "healthy", nil)
			}
		} else {
			passes, failures = 0, failures+1
			if !failed && failures >= hc.o.UnhealthyThreshold {
				st.setFlag(flagFailedActiveHC, true)
				hc.c.healthChanged()
				hc.event(h, "unhealthy", err)
			}
		}
		t.Reset(hc.o.Interval + hc.jitter())
	}
}

// errStatus is a failed HTTP check's unexpected status.
type errStatus int

func (e errStatus) Error() string { return "unexpected status " + strconv.Itoa(int(e)) }

// check runs one TCP or HTTP check against addr.
func (hc *healthChecker) check(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, hc.o.Timeout)
	defer cancel()
	if hc.o.Protocol == HealthCheckHTTP && hc.o.HTTP.Port > 0 {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = net.JoinHostPort(host, strconv.Itoa(hc.o.HTTP.Port))
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if hc.o.Protocol == HealthCheckTCP {
		return nil
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	hostHeader := hc.o.HTTP.Host
	if hostHeader == "" {
		hostHeader = addr
	}
	req := "GET " + hc.o.HTTP.Path + " HTTP/1.1\r\nHost: " + hostHeader +
		"\r\nUser-Agent: mosn-health-check\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return err
	}
	line, err := bufio.NewReaderSize(conn, 512).ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("reading the status line: %w", err)
	}
	code, err := statusCode(line)
	if err != nil {
		return err
	}
	if !slices.Contains(hc.o.HTTP.ExpectedStatuses, code) {
		return errStatus(code)
	}
	return nil
}

var errStatusLine = errors.New("malformed status line")

// statusCode reads the status code of an HTTP/1.x status line (RFC 9112
// section 4: status-line = HTTP-version SP status-code SP [ reason-phrase ],
// status-code = 3DIGIT).
func statusCode(line []byte) (int, error) {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ' ||
		len(line) > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n' {
		return 0, errStatusLine
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, errStatusLine
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return 0, errStatusLine
	}
	return code, nil
}

// healthEvent is one line of the event log.
type healthEvent struct {
	Time    string `json:"time"`
	Cluster string `json:"cluster_name"`
	Host    string `json:"host"`
	Checker string `json:"health_checker_type"`
	Event   string `json:"event"`
	Reason  string `json:"reason,omitempty"`
}

func (hc *healthChecker) event(h *Host, what string, cause error) {
	if hc.c.log.Enabled(hc.c.ctx, slogLevel(what)) {
		hc.c.log.Log(hc.c.ctx, slogLevel(what), "upstream: health check changed host state",
			"cluster", hc.c.name, "host", h.address, "state", what, "error", cause)
	}
	if hc.eventLog == nil {
		return
	}
	e := healthEvent{Time: time.Now().UTC().Format(time.RFC3339Nano), Cluster: hc.c.name, Host: h.address,
		Checker: strings.ToUpper(hc.o.Protocol), Event: what}
	if cause != nil {
		e.Reason = cause.Error()
	}
	b, _ := json.Marshal(e)
	hc.logMu.Lock()
	hc.eventLog.Write(append(b, '\n'))
	hc.logMu.Unlock()
}

func (hc *healthChecker) close() {
	if hc.eventLog != nil {
		hc.logMu.Lock()
		hc.eventLog.Close()
		hc.eventLog = nil
		hc.logMu.Unlock()
	}
}

func slogLevel(state string) slog.Level {
	if state == "unhealthy" {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

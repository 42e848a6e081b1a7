package xds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/seed405ffdea/mosn/istio-adapter/internal/grpcdial"
)

// Defaults of Options.
const (
	DefaultBackoffBase = grpcdial.DefaultBackoffBase
	DefaultBackoffMax  = grpcdial.DefaultBackoffMax
)

// Options configure a Client.
type Options struct {
	// Target is the control plane's gRPC target: "host:port" or
	// "unix:///path/to/socket" (Istio's pilot-agent: unix:./etc/istio/proxy/XDS).
	Target string
	// DialOptions add to the defaults (plaintext transport).
	DialOptions []grpc.DialOption
	// Node identifies the proxy; sent in full on each stream's first
	// request (required).
	Node *corev3.Node
	// Delta selects the incremental protocol (Envoy's DELTA_GRPC, Istio's
	// default); false is State of the World (GRPC).
	Delta bool
	// InitialFetchTimeout bounds the wait for the first CDS response and
	// for warming clusters before LDS is requested and before a warming
	// cluster is applied without endpoints (Envoy's initial_fetch_timeout).
	// 0 waits forever.
	InitialFetchTimeout time.Duration
	// Controller applies the resources (required).
	Controller *Controller
	// BackoffBase and BackoffMax bound the jittered exponential backoff
	// between streams. Zero means the defaults (500ms, 30s).
	BackoffBase, BackoffMax time.Duration
	Logger                  *slog.Logger
	Metrics                 *Metrics
}

// Client keeps an ADS stream open and feeds its responses to the
// controller.
type Client struct {
	o      Options
	conn   *grpc.ClientConn
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	syncOnce sync.Once
	synced   chan struct{}
	streams  int
	// resumed: a previous stream got as far as LDS, so a new stream
	// subscribes to every type at once (the server may not resend what
	// has not changed since the versions the client reports).
	resumed bool
}

// NewClient validates o and prepares the connection (gRPC connects
// lazily, on Start).
func NewClient(o Options) (*Client, error) {
	switch {
	case o.Target == "":
		return nil, errors.New("xds: no control plane target")
	case o.Node == nil:
		return nil, errors.New("xds: no node")
	case o.Controller == nil:
		return nil, errors.New("xds: no controller")
	}
	o.BackoffBase, o.BackoffMax = grpcdial.Backoff(o.BackoffBase, o.BackoffMax)
	conn, err := grpcdial.Client(o.Target, o.BackoffBase, o.BackoffMax, o.DialOptions...)
	if err != nil {
		return nil, fmt.Errorf("xds: %w", err)
	}
	c := &Client{o: o, conn: conn, log: o.Logger, done: make(chan struct{}), synced: make(chan struct{})}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Start runs the client until Close.
func (c *Client) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.run(ctx)
}

// Close stops the stream and closes the connection.
func (c *Client) Close() error {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
	return c.conn.Close()
}

// Synced is closed once the first LDS response was handled (or the
// initial fetch timed out): the proxy then runs what the control plane
// had for it.
func (c *Client) Synced() <-chan struct{} { return c.synced }

func (c *Client) markSynced() { c.syncOnce.Do(func() { close(c.synced) }) }

func (c *Client) run(ctx context.Context) {
	defer close(c.done)
	defer c.o.Metrics.setConnected(false)
	backoff := c.o.BackoffBase
	for {
		if c.streams > 0 {
			c.o.Metrics.reconnect()
		}
		c.streams++
		got, err := c.stream(ctx)
		c.o.Metrics.setConnected(false)
		if ctx.Err() != nil {
			return
		}
		if got {
			backoff = c.o.BackoffBase
		}
		// Full jitter: a fleet of proxies does not reconnect in step.
		wait := time.Duration(rand.Int64N(int64(backoff))) + backoff/2
		c.log.Warn("xds: stream ended, reconnecting", "error", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, c.o.BackoffMax)
	}
}

// stream runs one ADS stream; got reports whether a response arrived.
func (c *Client) stream(ctx context.Context) (got bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ads := discoverygrpc.NewAggregatedDiscoveryServiceClient(c.conn)
	var p protocol
	if c.o.Delta {
		st, err := ads.DeltaAggregatedResources(ctx, grpc.WaitForReady(true))
		if err != nil {
			return false, err
		}
		p = &deltaProto{st: st, node: c.o.Node, ctrl: c.o.Controller, subscribed: map[string][]string{}}
	} else {
		st, err := ads.StreamAggregatedResources(ctx, grpc.WaitForReady(true))
		if err != nil {
			return false, err
		}
		p = &sotwProto{st: st, node: c.o.Node, ctrl: c.o.Controller, nonces: map[string]string{}, sent: map[string][]string{}}
	}
	return c.loop(ctx, p)
}

// protocol is one ADS flavour on an open stream.
type protocol interface {
	// subscribe sends the first request of typeURL on this stream.
	subscribe(typeURL string) error
	// recv waits for a response (called from the receiving goroutine).
	recv() (any, error)
	// handle applies a response and sends its ACK or NACK.
	handle(resp any) (typeURL string, err error)
	// resubscribe sends the changed resource names of typeURL (EDS, RDS).
	resubscribe(typeURL string) error
}

type recvResult struct {
	resp any
	err  error
}

func (c *Client) loop(ctx context.Context, p protocol) (bool, error) {
	if err := p.subscribe(ClusterType); err != nil {
		return false, err
	}
	c.o.Metrics.setConnected(true)
	ldsSent := false
	if c.resumed {
		for _, t := range []string{EndpointType, ListenerType, RouteType} {
			if err := p.resubscribe(t); err != nil {
				return false, err
			}
		}
		if err := p.subscribe(ListenerType); err != nil {
			return false, err
		}
		ldsSent = true
	}
	start := time.Now()
	cdsSeen := false
	maybeLDS := func() error {
		if ldsSent {
			return nil
		}
		timedOut := c.o.InitialFetchTimeout > 0 && time.Since(start) >= c.o.InitialFetchTimeout
		if (cdsSeen && c.o.Controller.Warming() == 0) || timedOut {
			ldsSent, c.resumed = true, true
			return p.subscribe(ListenerType)
		}
		return nil
	}
	results := make(chan recvResult, 1)
	go func() {
		for {
			resp, err := p.recv()
			select {
			case results <- recvResult{resp, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(tickEvery(c.o.InitialFetchTimeout))
	defer tick.Stop()
	got := false
	for {
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case r := <-results:
			if r.err != nil {
				return got, r.err
			}
			got = true
			typeURL, err := p.handle(r.resp)
			if err != nil {
				return got, err
			}
			switch typeURL {
			case ClusterType:
				cdsSeen = true
				if err := p.resubscribe(EndpointType); err != nil {
					return got, err
				}
			case ListenerType:
				if err := p.resubscribe(RouteType); err != nil {
					return got, err
				}
				c.markSynced()
			}
			if err := maybeLDS(); err != nil {
				return got, err
			}
		case <-tick.C:
			c.o.Controller.Expire()
			if err := maybeLDS(); err != nil {
				return got, err
			}
			if c.o.InitialFetchTimeout > 0 && time.Since(start) >= c.o.InitialFetchTimeout {
				c.markSynced()
			}
		}
	}
}

// connectParams makes grpc's own reconnect backoff (the transport under
// the stream) follow the client's, instead of grpc's default 1s–120s.
func tickEvery(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return time.Second
	}
	return min(max(timeout/4, 10*time.Millisecond), time.Second)
}

// decode unpacks resources of typeURL.
func decode(typeURL string, a *anypb.Any) (proto.Message, string, error) {
	if a.GetTypeUrl() != typeURL {
		return nil, "", fmt.Errorf("resource of type %s in a %s response", a.GetTypeUrl(), typeURL)
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		return nil, "", err
	}
	switch r := m.(type) {
	case *clusterv3.Cluster:
		return r, r.GetName(), nil
	case *endpointv3.ClusterLoadAssignment:
		return r, r.GetClusterName(), nil
	case *listenerv3.Listener:
		return r, r.GetName(), nil
	case *routev3.RouteConfiguration:
		return r, r.GetName(), nil
	}
	return nil, "", fmt.Errorf("unsupported resource type %s", typeURL)
}

func nackStatus(err error) *status.Status {
	return &status.Status{Code: int32(codes.InvalidArgument), Message: err.Error()}
}

func sameNames(a, b []string) bool { return slices.Equal(a, b) }

// Package sds is an SDS client (Envoy's Secret Discovery Service, State of
// the World over gRPC) that implements api.SecretProvider: Istio's
// pilot-agent serves the workload certificate ("default") and the root CA
// ("ROOTCA") on the bootstrap's sds-grpc unix socket. Get waits until a
// secret arrives, so a TLS context that needs it stays warming rather than
// failing traffic; Watch delivers rotations without a restart.
package sds

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/istio-adapter/internal/grpcdial"
)

var _ api.SecretProvider = (*Client)(nil)

// Options configure a Client.
type Options struct {
	// Target is the SDS server's gRPC target ("unix:./var/run/secrets/workload-spiffe-uds/socket").
	Target string
	// Node is sent on each stream's first request.
	Node *corev3.Node
	// DialOptions add to the defaults (plaintext).
	DialOptions []grpc.DialOption
	// BackoffBase and BackoffMax bound the reconnect backoff; zero means
	// 500ms and 30s.
	BackoffBase, BackoffMax time.Duration
	Logger                  *slog.Logger
}

// Client fetches secrets by name; it subscribes to a name on its first
// Get or Watch.
type Client struct {
	o      Options
	conn   *grpc.ClientConn
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	names    []string // subscribed, sorted
	secrets  map[string]api.Secret
	arrived  map[string]chan struct{} // closed when the first version arrives
	watchers map[string][]*watcher
	version  string // last accepted version
	wake     chan struct{}
}

type watcher struct {
	ctx context.Context
	f   func(api.Secret)
}

// New prepares a client; Start connects.
func New(o Options) (*Client, error) {
	if o.Target == "" {
		return nil, errors.New("sds: no target")
	}
	o.BackoffBase, o.BackoffMax = grpcdial.Backoff(o.BackoffBase, o.BackoffMax)
	conn, err := grpcdial.Client(o.Target, o.BackoffBase, o.BackoffMax, o.DialOptions...)
	if err != nil {
		return nil, fmt.Errorf("sds: %w", err)
	}
	c := &Client{o: o, conn: conn, log: o.Logger, done: make(chan struct{}),
		secrets: map[string]api.Secret{}, arrived: map[string]chan struct{}{}, watchers: map[string][]*watcher{}, wake: make(chan struct{}, 1)}
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

// Close stops the client.
func (c *Client) Close() error {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
	return c.conn.Close()
}

// subscribe adds name and returns the channel closed on its first version.
func (c *Client) subscribe(name string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.arrived[name]
	if !ok {
		ch = make(chan struct{})
		c.arrived[name] = ch
		c.names = append(c.names, name)
		sort.Strings(c.names)
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return ch
}

// Get returns the secret, waiting until it arrives or ctx ends.
func (c *Client) Get(ctx context.Context, name string) (api.Secret, error) {
	ch := c.subscribe(name)
	select {
	case <-ch:
	case <-ctx.Done():
		return api.Secret{}, fmt.Errorf("sds: secret %q: %w", name, ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.secrets[name], nil
}

// Watch calls f with every version of the secret that arrives after the
// call, until ctx ends.
func (c *Client) Watch(ctx context.Context, name string, f func(api.Secret)) {
	c.subscribe(name)
	c.mu.Lock()
	c.watchers[name] = append(c.watchers[name], &watcher{ctx, f})
	c.mu.Unlock()
}

func (c *Client) run(ctx context.Context) {
	defer close(c.done)
	backoff := c.o.BackoffBase
	for {
		got, err := c.stream(ctx)
		if ctx.Err() != nil {
			return
		}
		if got {
			backoff = c.o.BackoffBase
		}
		wait := time.Duration(rand.Int64N(int64(backoff))) + backoff/2
		c.log.Warn("sds: stream ended, reconnecting", "error", err, "in", wait)
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

func (c *Client) stream(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := secretv3.NewSecretDiscoveryServiceClient(c.conn).StreamSecrets(ctx, grpc.WaitForReady(true))
	if err != nil {
		return false, err
	}
	nodeSent := false
	var sent []string
	nonce := ""
	send := func(nack error) error {
		c.mu.Lock()
		req := &discoveryv3.DiscoveryRequest{TypeUrl: resourcev3.SecretType, VersionInfo: c.version, ResponseNonce: nonce, ResourceNames: slices.Clone(c.names)}
		c.mu.Unlock()
		if !nodeSent {
			req.Node, nodeSent = c.o.Node, true
		}
		if nack != nil {
			req.ErrorDetail = &status.Status{Code: int32(codes.InvalidArgument), Message: nack.Error()}
		}
		sent = req.ResourceNames
		return st.Send(req)
	}
	type result struct {
		resp *discoveryv3.DiscoveryResponse
		err  error
	}
	results := make(chan result, 1)
	go func() {
		for {
			resp, err := st.Recv()
			select {
			case results <- result{resp, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	got := false
	c.mu.Lock()
	have := len(c.names) > 0
	c.mu.Unlock()
	if have {
		if err := send(nil); err != nil {
			return false, err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-c.wake:
			c.mu.Lock()
			changed := !slices.Equal(sent, c.names)
			c.mu.Unlock()
			if changed {
				if err := send(nil); err != nil {
					return got, err
				}
			}
		case r := <-results:
			if r.err != nil {
				return got, r.err
			}
			got = true
			nonce = r.resp.GetNonce()
			if err := send(c.apply(r.resp)); err != nil {
				return got, err
			}
		}
	}
}

// apply decodes a response and publishes its secrets; an error NACKs it
// whole (the previous secrets stay).
func (c *Client) apply(resp *discoveryv3.DiscoveryResponse) error {
	var fresh []api.Secret
	for i, a := range resp.GetResources() {
		var s tlsv3.Secret
		if a.GetTypeUrl() != resourcev3.SecretType {
			return fmt.Errorf("resources[%d]: type %s, want %s", i, a.GetTypeUrl(), resourcev3.SecretType)
		}
		if err := a.UnmarshalTo(&s); err != nil {
			return fmt.Errorf("resources[%d]: %w", i, err)
		}
		sec, err := Convert(&s)
		if err != nil {
			return fmt.Errorf("secret %q: %w", s.GetName(), err)
		}
		fresh = append(fresh, sec)
	}
	type call struct {
		f func(api.Secret)
		s api.Secret
	}
	var calls []call
	c.mu.Lock()
	c.version = resp.GetVersionInfo()
	for _, s := range fresh {
		c.secrets[s.Name] = s
		if ch, ok := c.arrived[s.Name]; ok {
			select {
			case <-ch:
			default:
				close(ch)
			}
		}
		live := c.watchers[s.Name][:0]
		for _, w := range c.watchers[s.Name] {
			if w.ctx.Err() == nil {
				live = append(live, w)
				calls = append(calls, call{w.f, s})
			}
		}
		c.watchers[s.Name] = live
	}
	c.mu.Unlock()
	for _, cl := range calls {
		cl.f(cl.s)
	}
	return nil
}

// Convert turns an Envoy Secret into an api.Secret: a TLS certificate
// (chain and key) or a validation context (trusted CA), inline or from
// files.
func Convert(s *tlsv3.Secret) (api.Secret, error) {
	out := api.Secret{Name: s.GetName()}
	if out.Name == "" {
		return out, errors.New("name: required")
	}
	var err error
	switch t := s.GetType().(type) {
	case *tlsv3.Secret_TlsCertificate:
		if t.TlsCertificate.GetPrivateKeyProvider() != nil {
			return out, errors.New("tls_certificate.private_key_provider: not supported")
		}
		if out.CertificateChain, err = data(t.TlsCertificate.GetCertificateChain()); err != nil {
			return out, fmt.Errorf("tls_certificate.certificate_chain: %w", err)
		}
		if out.PrivateKey, err = data(t.TlsCertificate.GetPrivateKey()); err != nil {
			return out, fmt.Errorf("tls_certificate.private_key: %w", err)
		}
		if _, err := tls.X509KeyPair(out.CertificateChain, out.PrivateKey); err != nil {
			return out, fmt.Errorf("tls_certificate: %w", err)
		}
	case *tlsv3.Secret_ValidationContext:
		if out.ValidationCA, err = data(t.ValidationContext.GetTrustedCa()); err != nil {
			return out, fmt.Errorf("validation_context.trusted_ca: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(out.ValidationCA) {
			return out, errors.New("validation_context.trusted_ca: no PEM certificate")
		}
	default:
		return out, errors.New("only tls_certificate and validation_context secrets are supported")
	}
	return out, nil
}

// maxSecretFile bounds a certificate or key file.
const maxSecretFile = 1 << 20

func data(d *corev3.DataSource) ([]byte, error) {
	switch s := d.GetSpecifier().(type) {
	case nil:
		return nil, nil
	case *corev3.DataSource_InlineBytes:
		return s.InlineBytes, nil
	case *corev3.DataSource_InlineString:
		return []byte(s.InlineString), nil
	case *corev3.DataSource_Filename:
		fi, err := os.Stat(s.Filename)
		if err != nil {
			return nil, err
		}
		if fi.Size() > maxSecretFile {
			return nil, fmt.Errorf("%s: larger than %d bytes", s.Filename, maxSecretFile)
		}
		return os.ReadFile(s.Filename)
	default:
		return nil, errors.New("environment variable data sources are not supported")
	}
}

package proxy_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// phaseFilter records the phase it ran in and acts on the request.
type phaseFilter struct {
	phase api.ReceiverFilterPhase
	h     api.StreamReceiverFilterHandler
	log   *phaseLog
}

// phaseLog is written by the proxy's goroutine and read by the test.
type phaseLog struct {
	mu  sync.Mutex
	ran []string
}

func (l *phaseLog) add(s string) { l.mu.Lock(); l.ran = append(l.ran, s); l.mu.Unlock() }
func (l *phaseLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.ran, " ")
}

func (f *phaseFilter) SetReceiveFilterHandler(h api.StreamReceiverFilterHandler) { f.h = h }
func (f *phaseFilter) OnDestroy()                                                {}
func (f *phaseFilter) OnReceive(ctx context.Context, h api.HeaderMap, _ api.IoBuffer, _ api.HeaderMap) api.StreamFilterStatus {
	f.log.add(f.phase.String())
	switch f.phase {
	case api.BeforeRoute:
		if _, deny := h.Get("X-Deny"); deny {
			hdr := &simpleHeaders{}
			hdr.Set("X-Denied-By", "filter")
			f.h.SendDirectResponse(403, hdr, []byte("denied\n"))
			return api.StreamFilterHijack
		}
	case api.AfterRoute:
		h.Set("X-Route-Cluster", f.h.Route().ClusterName())
	case api.AfterChooseHost:
		h.Set("X-Host-Known", boolString(f.h.RequestInfo().UpstreamHost() != nil))
	}
	return api.StreamFilterContinue
}

type senderFilter struct{}

func (senderFilter) SetSenderFilterHandler(api.StreamSenderFilterHandler) {}
func (senderFilter) OnDestroy()                                           {}
func (senderFilter) Append(ctx context.Context, h api.HeaderMap, _ api.IoBuffer, _ api.HeaderMap) api.StreamFilterStatus {
	h.Set("X-Sender", "seen")
	h.Del("X-Secret")
	return api.StreamFilterContinue
}

type chainFactory struct{ log *phaseLog }

func (c chainFactory) CreateFilterChain(ctx context.Context, cb api.StreamFilterChainFactoryCallbacks) {
	for _, p := range []api.ReceiverFilterPhase{api.AfterChooseHost, api.BeforeRoute, api.AfterRoute} {
		cb.AddStreamReceiverFilter(&phaseFilter{phase: p, log: c.log}, p)
	}
	cb.AddStreamSenderFilter(senderFilter{})
}

type simpleHeaders struct{ k, v []string }

func (s *simpleHeaders) Get(k string) (string, bool) {
	for i := range s.k {
		if s.k[i] == k {
			return s.v[i], true
		}
	}
	return "", false
}
func (s *simpleHeaders) Set(k, v string) { s.k = append(s.k, k); s.v = append(s.v, v) }
func (s *simpleHeaders) Add(k, v string) { s.Set(k, v) }
func (s *simpleHeaders) Del(string)      {}
func (s *simpleHeaders) Range(f func(k, v string) bool) {
	for i := range s.k {
		if !f(s.k[i], s.v[i]) {
			return
		}
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestStreamFilterPhases(t *testing.T) {
	var seen http.Header
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		w.Header().Set("X-Secret", "s")
		io.WriteString(w, "ok")
	})
	log := &phaseLog{}
	addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) {
		o.StreamFilters = []api.StreamFilterChainFactory{chainFactory{log: log}}
	}})
	c := client(t)
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := seen.Get("X-Route-Cluster"); got != "c" {
		t.Errorf("AfterRoute header = %q", got)
	}
	if got := seen.Get("X-Host-Known"); got != "true" {
		t.Errorf("AfterChooseHost header = %q", got)
	}
	if resp.Header.Get("X-Sender") != "seen" || resp.Header.Get("X-Secret") != "" {
		t.Errorf("sender filter: %v", resp.Header)
	}
	if want := "BeforeRoute AfterRoute AfterChooseHost"; log.String() != want {
		t.Errorf("phases ran as %q, want %q", log.String(), want)
	}

	hits := o.hits.Load()
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("X-Deny", "1")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || string(b) != "denied\n" || resp.Header.Get("X-Denied-By") != "filter" {
		t.Fatalf("hijack: %d %q %v", resp.StatusCode, b, resp.Header)
	}
	if o.hits.Load() != hits {
		t.Fatal("hijacked request reached the upstream")
	}
}

// tagFilter copies its per_filter_config ("tag") into a request header.
type tagFilter struct {
	h api.StreamReceiverFilterHandler
}

func (f *tagFilter) SetReceiveFilterHandler(h api.StreamReceiverFilterHandler) { f.h = h }
func (f *tagFilter) OnDestroy()                                                {}
func (f *tagFilter) OnReceive(ctx context.Context, h api.HeaderMap, _ api.IoBuffer, _ api.HeaderMap) api.StreamFilterStatus {
	if pr, ok := f.h.Route().(api.PerFilterConfigRoute); ok {
		if c, ok := pr.PerFilterConfig("tag"); ok {
			h.Set("X-Tag", string(c))
		}
	}
	return api.StreamFilterContinue
}

type tagFactory struct{}

func (tagFactory) CreateFilterChain(ctx context.Context, cb api.StreamFilterChainFactoryCallbacks) {
	cb.AddStreamReceiverFilter(&tagFilter{}, api.AfterRoute)
}

func TestPerFilterConfigReachesFilters(t *testing.T) {
	a := echoOrigin(t, "a")
	addr := startRoutedWith(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"],
		"per_filter_config": {"tag": "host"},
		"routers": [
		{"match": {"prefix": "/own"}, "route": {"cluster_name": "a"}, "per_filter_config": {"tag": {"v": 1}}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}]}]}`,
		map[string][]upstream.HostOptions{"a": hosts(a.addr())}, nil,
		func(o *proxy.Options) { o.StreamFilters = []api.StreamFilterChainFactory{tagFactory{}} })
	c := client(t)
	if resp, _ := get(t, c, "http://"+addr+"/own"); resp.Header.Get("Echo-X-Tag") != `{"v":1}` {
		t.Errorf("route config: %q", resp.Header.Get("Echo-X-Tag"))
	}
	if resp, _ := get(t, c, "http://"+addr+"/other"); resp.Header.Get("Echo-X-Tag") != `"host"` {
		t.Errorf("virtual host config: %q", resp.Header.Get("Echo-X-Tag"))
	}
}

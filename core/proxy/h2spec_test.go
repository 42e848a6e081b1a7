package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/protocol/http2/h2spectest"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// h2specMinPass is the number of h2spec cases the proxy's h2c listener
// passes (of 145, docs/http2.md); the test fails when fewer pass.
const h2specMinPass = 145

// TestH2SpecProxy runs h2spec against an h2c listener proxying to an
// HTTP/1.1 origin.
func TestH2SpecProxy(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(strings.Repeat("x", 1000)))
	})
	addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) {
		o.Protocol = api.HTTP2
		o.HTTP2.MaxConcurrentStreams = 100
	}})
	h2spectest.Run(t, addr, h2specMinPass)
}

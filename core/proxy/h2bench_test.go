package proxy_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/seed405ffdea/mosn/api"
)

// BenchmarkH2Proxy: GET requests from an x/net/http2 client over one h2c
// connection, proxied to a minimal HTTP/1.1 origin.
func BenchmarkH2Proxy(b *testing.B) {
	up := rawOrigin(b, []byte("hello world"))
	addr := startProxyConf(b, up, proxyConf{opts: withProtocol(api.HTTP2)})
	c := h2cClient(b)
	url := "http://" + addr + "/"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

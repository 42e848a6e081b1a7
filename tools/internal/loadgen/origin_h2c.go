package loadgen

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// ServeH2C serves cleartext HTTP/2 (prior knowledge or Upgrade: h2c, RFC
// 9113 §3.3) with x/net/http2's h2c handler, answering each request with a
// fixed body whose size the path selects. HTTP/1.1 requests are answered
// too, by net/http.
func ServeH2C(ctx context.Context, ln net.Listener, sizes []int) error {
	bodies := map[int][]byte{}
	for _, n := range sizes {
		bodies[n] = bytes.Repeat([]byte("x"), n)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := sizeForPath(r.URL.Path, sizes)
		hdr := w.Header()
		hdr["Content-Type"] = []string{"text/plain"}
		hdr["Content-Length"] = []string{strconv.Itoa(n)}
		w.Write(bodies[n])
	})
	srv := &http.Server{
		Handler:           h2c.NewHandler(h, &http2.Server{MaxConcurrentStreams: 1000}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

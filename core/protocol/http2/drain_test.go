package http2

import (
	"context"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestDrain: Drain sends GOAWAY, lets the stream in flight finish, refuses
// new ones and closes the connection once idle.
func TestDrain(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	scs := make(chan *Conn, 1)
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		sc := NewServerConn(c, nil, Config{}, handlerFunc(func(st *Stream) {
			started <- struct{}{}
			<-release
			st.WriteHeaders([]hpack.HeaderField{{Name: ":status", Value: "200"}}, true)
		}))
		scs <- sc
		served <- sc.Serve(context.Background())
	}()
	c := dialRaw(t, ln.Addr().String(), 0)
	c.request(1, true)
	<-started
	sc := <-scs
	sc.Drain()
	c.until("GOAWAY", func(f http2.Frame) bool {
		g, ok := f.(*http2.GoAwayFrame)
		if ok && (g.ErrCode != http2.ErrCodeNo || g.LastStreamID != 1) {
			t.Fatalf("GOAWAY %v last %d", g.ErrCode, g.LastStreamID)
		}
		return ok
	})
	// A stream opened after the GOAWAY is refused.
	c.request(3, true)
	c.until("REFUSED_STREAM", func(f http2.Frame) bool {
		r, ok := f.(*http2.RSTStreamFrame)
		return ok && r.StreamID == 3 && r.ErrCode == http2.ErrCodeRefusedStream
	})
	close(release)
	c.until("response on stream 1", func(f http2.Frame) bool {
		h, ok := f.(*http2.MetaHeadersFrame)
		return ok && h.StreamID == 1 && h.StreamEnded()
	})
	c.closed()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

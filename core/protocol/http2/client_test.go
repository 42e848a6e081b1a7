package http2

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/http2/hpack"
)

// h2cOrigin is a net/http server speaking h2c with prior knowledge.
func h2cOrigin(t *testing.T, h http.HandlerFunc, maxStreams uint32) (string, *http.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{MaxConcurrentStreams: maxStreams})}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String(), srv
}

func dialClient(t *testing.T, addr string, cfg ClientConfig) *ClientConn {
	t.Helper()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cc := NewClientConn(raw, cfg)
	t.Cleanup(cc.Close)
	return cc
}

func post(t *testing.T, cc *ClientConn, path string, body []byte, trailer bool) (status int, got []byte, tr []hpack.HeaderField) {
	t.Helper()
	if !cc.Reserve() {
		t.Fatal("no stream available")
	}
	fields := []hpack.HeaderField{{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"}, {Name: ":authority", Value: "o"}, {Name: ":path", Value: path}, {Name: "trailer", Value: "X-Req-Trailer"}}
	st, err := cc.NewStream(Request{Method: "POST", Path: path}, fields, false)
	if err != nil {
		t.Fatal(err)
	}
	st.SetReadDeadline(time.Now().Add(5 * time.Second))
	st.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := st.WriteData(body, !trailer); err != nil {
		t.Fatal(err)
	}
	if trailer {
		st.WriteHeaders([]hpack.HeaderField{{Name: "x-req-trailer", Value: "yes"}}, true)
	}
	resp, err := st.Response()
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(streamReader{st})
	if err != nil {
		t.Fatalf("%v: closed %v recvDone %v sendDone %v peerReset %v code %v got %d", err, st.closed, st.recvDone, st.sendDone, st.peerReset, st.resetCode, len(got))
	}
	return Status(resp), got, st.Trailers()
}

func TestClientConn(t *testing.T) {
	addr, _ := h2cOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Len, X-Got")
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
		w.Header().Set("X-Len", strconv.Itoa(len(b)))
		w.Header().Set("X-Got", r.Trailer.Get("X-Req-Trailer"))
	}, 0)
	cc := dialClient(t, addr, ClientConfig{})
	body := bytes.Repeat([]byte("z"), 3<<20)
	status, got, tr := post(t, cc, "/a", body, true)
	if status != 200 || !bytes.Equal(got, body) {
		t.Fatalf("status %d, %d bytes", status, len(got))
	}
	want := map[string]string{"x-len": strconv.Itoa(len(body)), "x-got": "yes"}
	for _, f := range tr {
		if want[f.Name] == f.Value {
			delete(want, f.Name)
		}
	}
	if len(want) > 0 {
		t.Fatalf("trailers %v, missing %v", tr, want)
	}
	// Concurrent streams on the one connection.
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func() {
			_, g, _ := post(t, cc, "/c", []byte("hi"), false)
			if string(g) != "hi" {
				errs <- errors.New("bad body " + string(g))
				return
			}
			errs <- nil
		}()
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestClientMaxStreams: the server's SETTINGS_MAX_CONCURRENT_STREAMS
// bounds the streams the connection offers.
func TestClientMaxStreams(t *testing.T) {
	release := make(chan struct{})
	addr, _ := h2cOrigin(t, func(w http.ResponseWriter, r *http.Request) { <-release }, 3)
	cc := dialClient(t, addr, ClientConfig{})
	// Wait for the server's settings.
	deadline := time.Now().Add(5 * time.Second)
	for cc.Available() != 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := cc.Available(); n != 3 {
		t.Fatalf("available %d, want 3", n)
	}
	for i := 0; i < 3; i++ {
		if !cc.Reserve() {
			t.Fatalf("reserve %d refused", i)
		}
	}
	if cc.Reserve() {
		t.Fatal("a fourth stream was offered")
	}
	close(release)
}

// TestClientKeepaliveTimeout: a server that stops answering PINGs gets
// the connection closed.
func TestClientKeepaliveTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		// Speak just enough HTTP/2 to be a server, then go silent.
		fr := http2.NewFramer(c, c)
		fr.WriteSettings()
		io.CopyN(io.Discard, c, int64(len(http2.ClientPreface)))
		io.Copy(io.Discard, c)
	}()
	cc := dialClient(t, ln.Addr().String(), ClientConfig{PingInterval: 50 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	select {
	case <-cc.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed after an unanswered PING")
	}
}

// TestClientGoAway: after the server's GOAWAY, streams above its last
// stream id fail as refused and the connection takes no new stream.
func TestClientGoAway(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.CopyN(io.Discard, c, int64(len(http2.ClientPreface)))
		fr := http2.NewFramer(c, c)
		fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		fr.WriteSettings()
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			if h, ok := f.(*http2.MetaHeadersFrame); ok && h.StreamID == 3 {
				// Stream 1 is processed, 3 is not.
				fr.WriteGoAway(1, http2.ErrCodeNo, nil)
				var hb bytes.Buffer
				hpack.NewEncoder(&hb).WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
				fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true, EndStream: true})
			}
		}
	}()
	cc := dialClient(t, ln.Addr().String(), ClientConfig{})
	get := func() *Stream {
		cc.Reserve()
		st, err := cc.NewStream(Request{Method: "GET"}, []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"}, {Name: ":path", Value: "/"}, {Name: ":authority", Value: "a"}}, true)
		if err != nil {
			t.Fatal(err)
		}
		st.SetReadDeadline(time.Now().Add(5 * time.Second))
		return st
	}
	s1, s3 := get(), get()
	if _, err := s3.Response(); !errors.Is(err, ErrRefused) {
		t.Fatalf("stream 3: %v, want ErrRefused", err)
	}
	if resp, err := s1.Response(); err != nil || Status(resp) != 200 {
		t.Fatalf("stream 1: %v %v", resp, err)
	}
	if cc.Available() != 0 {
		t.Fatal("new streams offered after GOAWAY")
	}
	_ = strings.TrimSpace
}

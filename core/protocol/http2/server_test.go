package http2

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// echoHandler answers with the request body and a trailer holding the
// number of bytes received.
type echoHandler struct{}

func (echoHandler) ServeStream(st *Stream) {
	st.SetReadDeadline(time.Now().Add(5 * time.Second))
	st.SetWriteDeadline(time.Now().Add(5 * time.Second))
	req := st.Request()
	head := []hpack.HeaderField{{Name: ":status", Value: "200"}, {Name: "x-method", Value: req.Method}, {Name: "x-authority", Value: req.Authority}}
	if req.Method == "HEAD" {
		st.WriteHeaders(head, true)
		return
	}
	if err := st.WriteHeaders(head, false); err != nil {
		return
	}
	var total int
	buf := make([]byte, 32<<10)
	for {
		n, err := st.Read(buf)
		total += n
		if n > 0 {
			if err := st.WriteData(buf[:n], false); err != nil {
				return
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return
		}
	}
	tr := []hpack.HeaderField{{Name: "x-received", Value: strconv.Itoa(total)}}
	for _, f := range st.Trailers() {
		tr = append(tr, hpack.HeaderField{Name: "x-trailer-" + f.Name, Value: f.Value})
	}
	st.WriteHeaders(tr, true)
}

// serve starts a listener serving h with cfg and returns its address.
func serve(t testing.TB, cfg Config, h Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	conns := make(chan *Conn, 64)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			sc := NewServerConn(c, nil, cfg, h)
			select {
			case conns <- sc:
			default:
			}
			go sc.Serve(context.Background())
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for {
			select {
			case sc := <-conns:
				sc.fail(errConnClosed)
				<-sc.writerDone
				sc.handlers.Wait()
			default:
				return
			}
		}
	})
	return ln.Addr().String()
}

func h2cClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestServerEcho(t *testing.T) {
	addr := serve(t, Config{}, echoHandler{})
	c := h2cClient()
	defer c.CloseIdleConnections()
	body := strings.Repeat("0123456789", 300000) // 3 MB: several windows' worth of frames
	req, _ := http.NewRequest("POST", "http://"+addr+"/echo", io.NopCloser(strings.NewReader(body)))
	req.Trailer = http.Header{"X-Sum": nil}
	req.Trailer.Set("X-Sum", "abc")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, []byte(body)) {
		t.Fatalf("echo: got %d bytes, want %d", len(got), len(body))
	}
	if resp.Header.Get("X-Method") != "POST" || resp.Header.Get("X-Authority") != addr {
		t.Fatalf("headers: %v", resp.Header)
	}
	if resp.Trailer.Get("X-Received") != strconv.Itoa(len(body)) || resp.Trailer.Get("X-Trailer-X-Sum") != "abc" {
		t.Fatalf("trailers: %v", resp.Trailer)
	}
	// HEAD and many concurrent streams on the one connection.
	resp, err = c.Head("http://" + addr + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	resp.Body.Close()
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		go func() {
			resp, err := c.Post("http://"+addr+"/", "text/plain", strings.NewReader("hello"))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != "hello" {
					err = io.ErrUnexpectedEOF
				}
			}
			errs <- err
		}()
	}
	for i := 0; i < 50; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

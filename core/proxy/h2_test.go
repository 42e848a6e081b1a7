package proxy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// h2cClient is an x/net/http2 client speaking h2c with prior knowledge.
func h2cClient(t testing.TB) *http.Client {
	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func withProtocol(p api.ProtocolName) func(*proxy.Options) {
	return func(o *proxy.Options) { o.Protocol = p }
}

// h2EchoOrigin answers with what it saw: method, host, the request's
// cookie and te fields, the body, and trailers.
func h2EchoOrigin(t *testing.T) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Cookie", r.Header.Get("Cookie"))
		w.Header().Set("X-Proto", r.Proto)
		w.Header().Set("X-Forwarded-Proto", r.Header.Get("X-Forwarded-Proto"))
		w.Header().Set("Trailer", "X-Len, X-Got-Trailer")
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
		w.Header().Set("X-Len", itoa(len(b)))
		w.Header().Set("X-Got-Trailer", r.Trailer.Get("X-Req-Trailer"))
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestH2ToHTTP1(t *testing.T) {
	for _, p := range []api.ProtocolName{api.HTTP2, api.Auto} {
		t.Run(string(p), func(t *testing.T) {
			o := h2EchoOrigin(t)
			addr := startProxy(t, o.addr(), proxyConf{opts: withProtocol(p)})
			c := h2cClient(t)
			// A streamed body without content-length, with a trailer and
			// split cookies.
			body := strings.Repeat("abcdefgh", 1<<17) // 1 MiB
			pr, pw := io.Pipe()
			go func() {
				for i := 0; i < len(body); i += 64 << 10 {
					pw.Write([]byte(body[i : i+64<<10]))
				}
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", "http://"+addr+"/up", pr)
			req.Host = "example.com"
			req.Header.Add("Cookie", "a=1")
			req.Header.Add("Cookie", "b=2")
			req.Trailer = http.Header{"X-Req-Trailer": nil}
			req.Trailer.Set("X-Req-Trailer", "t1")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(got) != body {
				t.Fatalf("proto %d status %d, %d bytes", resp.ProtoMajor, resp.StatusCode, len(got))
			}
			h := resp.Header
			if h.Get("X-Method") != "POST" || h.Get("X-Host") != "example.com" || h.Get("X-Proto") != "HTTP/1.1" ||
				h.Get("X-Cookie") != "a=1; b=2" || h.Get("X-Forwarded-Proto") != "http" {
				t.Fatalf("upstream saw %v", h)
			}
			if resp.Trailer.Get("X-Len") != itoa(len(body)) || resp.Trailer.Get("X-Got-Trailer") != "t1" {
				t.Fatalf("trailers %v", resp.Trailer)
			}
			// HEAD, a direct response, a 404, content-length bodies, on the
			// same connection.
			resp, err = c.Head("http://" + addr + "/h")
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Method") != "HEAD" {
				t.Fatalf("HEAD: %v %v", resp, err)
			}
			resp.Body.Close()
			resp, err = c.Get("http://" + addr + "/direct")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "direct\n" {
				t.Fatalf("direct: %d %q", resp.StatusCode, b)
			}
			resp, err = c.Post("http://"+addr+"/p", "text/plain", bytes.NewReader([]byte("hello")))
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "hello" {
				t.Fatalf("post: %q", b)
			}
		})
	}
}

// TestAutoServesBoth: one Auto listener serves HTTP/1.1 and h2c.
func TestAutoServesBoth(t *testing.T) {
	o := h2EchoOrigin(t)
	addr := startProxy(t, o.addr(), proxyConf{opts: withProtocol(api.Auto)})
	resp, err := client(t).Get("http://" + addr + "/one")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 1 || resp.StatusCode != 200 {
		t.Fatalf("HTTP/1: %v", resp.Proto)
	}
	resp, err = h2cClient(t).Get("http://" + addr + "/two")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Fatalf("h2c: %v", resp.Proto)
	}
	// A request line starting like the preface is still HTTP/1.
	rc := dialRaw(t, addr)
	rc.send(t, "PRI /x HTTP/1.1\r\nHost: a\r\n\r\n")
	r, _ := rc.response(t, "PRI")
	if r.ProtoMajor != 1 {
		t.Fatalf("PRI request: %v", r.Proto)
	}
}

// TestH2Curl: curl --http2-prior-knowledge through the proxy.
func TestH2Curl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	o := h2EchoOrigin(t)
	addr := startProxy(t, o.addr(), proxyConf{opts: withProtocol(api.Auto)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, curl, "-sS", "-i", "--http2-prior-knowledge", "-d", "payload", "http://"+addr+"/c").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.HasPrefix(s, "HTTP/2 200") || !strings.Contains(s, "x-method: POST") || !strings.Contains(s, "\r\n\r\npayload") || !strings.Contains(s, "x-len: 7") {
		t.Fatalf("curl output:\n%s", s)
	}
}

// TestH2CUpgrade: "Upgrade: h2c" from HTTP/1.1 on an Auto listener: 101,
// then the request is answered on stream 1 and the connection is HTTP/2.
func TestH2CUpgrade(t *testing.T) {
	o := h2EchoOrigin(t)
	addr := startProxy(t, o.addr(), proxyConf{opts: withProtocol(api.Auto)})
	rc := dialRaw(t, addr)
	// HTTP2-Settings: SETTINGS_INITIAL_WINDOW_SIZE (4) = 65535.
	rc.send(t, "GET /up HTTP/1.1\r\nHost: up.example\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAQAAP__\r\n\r\n")
	line, err := rc.r.ReadString('\n')
	if err != nil || line != "HTTP/1.1 101 Switching Protocols\r\n" {
		t.Fatalf("%q %v", line, err)
	}
	for {
		l, err := rc.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l == "\r\n" {
			break
		}
	}
	io.WriteString(rc, http2.ClientPreface)
	fr := http2.NewFramer(rc, rc.r)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.WriteSettings()
	var status, host string
	var body []byte
	for done := false; !done; {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID != 1 {
				t.Fatalf("HEADERS on stream %d", f.StreamID)
			}
			if s := f.PseudoValue("status"); s != "" {
				status = s
				for _, hf := range f.RegularFields() {
					if hf.Name == "x-host" {
						host = hf.Value
					}
				}
			}
			done = f.StreamEnded()
		case *http2.DataFrame:
			body = append(body, f.Data()...)
			done = f.StreamEnded()
		}
	}
	if status != "200" || host != "up.example" {
		t.Fatalf("status %q, origin saw host %q", status, host)
	}
	// The connection now carries HTTP/2 requests.
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"}, {Name: ":path", Value: "/next"}, {Name: ":authority", Value: "a"}} {
		enc.WriteField(f)
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := f.(*http2.MetaHeadersFrame); ok && h.StreamID == 3 {
			if h.PseudoValue("status") != "200" {
				t.Fatalf("stream 3: %s", h.PseudoValue("status"))
			}
			break
		}
	}
}

// TestH2CUpgradeCurl: curl --http2 on a plain URL upgrades.
func TestH2CUpgradeCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	o := h2EchoOrigin(t)
	addr := startProxy(t, o.addr(), proxyConf{opts: withProtocol(api.Auto)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, curl, "-sS", "-i", "--http2", "http://"+addr+"/c").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if s := string(out); !strings.HasPrefix(s, "HTTP/1.1 101 Switching Protocols") || !strings.Contains(s, "HTTP/2 200") || !strings.Contains(s, "x-method: GET") {
		t.Fatalf("curl output:\n%s", s)
	}
}

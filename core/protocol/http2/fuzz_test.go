package http2

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// frames builds a client's bytes after the preface from frame writers.
func frames(write func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer)) []byte {
	var out, hb bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	enc := hpack.NewEncoder(&hb)
	fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	write(fr, enc, &hb)
	return out.Bytes()
}

func reqBlock(enc *hpack.Encoder, hb *bytes.Buffer, extra ...hpack.HeaderField) []byte {
	hb.Reset()
	for _, f := range append([]hpack.HeaderField{
		{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
		{Name: ":path", Value: "/a?b"}, {Name: ":authority", Value: "h"},
	}, extra...) {
		enc.WriteField(f)
	}
	return bytes.Clone(hb.Bytes())
}

// FuzzServerConn feeds arbitrary bytes after the client preface to a
// server connection: the frame reader, HPACK decoding, request checks,
// stream states and flow control must neither panic nor hang.
func FuzzServerConn(f *testing.F) {
	f.Add(frames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: reqBlock(enc, hb), EndHeaders: true})
		fr.WriteData(1, false, []byte("hello"))
		hb.Reset()
		enc.WriteField(hpack.HeaderField{Name: "x-t", Value: "1"})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
	}))
	f.Add(frames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		b := reqBlock(enc, hb, hpack.HeaderField{Name: "content-length", Value: "3"})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: b[:4], EndHeaders: false})
		fr.WriteContinuation(3, true, b[4:])
		fr.WriteDataPadded(3, true, []byte("abc"), []byte{0, 0})
		fr.WritePing(false, [8]byte{1})
		fr.WriteWindowUpdate(0, 100)
		fr.WriteRSTStream(3, http2.ErrCodeCancel)
		fr.WritePriority(5, http2.PriorityParam{StreamDep: 5})
		fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	}))
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		srv, cli := net.Pipe()
		sc := NewServerConn(srv, nil, Config{StreamIdleTimeout: 50 * time.Millisecond, WriteTimeout: time.Second}, bodyHandler{})
		served := make(chan error, 1)
		go func() { served <- sc.Serve(context.Background()) }()
		go io.Copy(io.Discard, cli)
		cli.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(cli, http2.ClientPreface)
		cli.Write(data)
		time.Sleep(time.Millisecond)
		cli.Close()
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Fatal("server connection did not end")
		}
	})
}

// FuzzRequestHead decodes an HPACK block and checks it as a request head.
func FuzzRequestHead(f *testing.F) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	f.Add(reqBlock(enc, &hb, hpack.HeaderField{Name: "te", Value: "trailers"}, hpack.HeaderField{Name: "cookie", Value: "a=1"}))
	f.Add(reqBlock(enc, &hb, hpack.HeaderField{Name: "connection", Value: "close"}))
	f.Add(reqBlock(enc, &hb, hpack.HeaderField{Name: "content-length", Value: "+1"}))
	f.Fuzz(func(t *testing.T, block []byte) {
		var fields []hpack.HeaderField
		dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) { fields = append(fields, f) })
		dec.SetMaxStringLength(1 << 16)
		if _, err := dec.Write(block); err != nil {
			return
		}
		if dec.Close() != nil {
			return
		}
		req, err := parseRequest(fields, 100)
		if err != nil {
			return
		}
		if req.Method != "CONNECT" && (req.Path == "" || req.Scheme == "") {
			t.Fatalf("accepted a request without :path or :scheme: %+v", req)
		}
		if req.ContentLength < -1 {
			t.Fatalf("content length %d", req.ContentLength)
		}
	})
}

// FuzzClientConn feeds arbitrary server bytes to the client side with a
// stream open: response heads, DATA, trailers, GOAWAY, settings must
// neither panic nor hang.
func FuzzClientConn(f *testing.F) {
	serverFrames := func(write func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer)) []byte {
		var out, hb bytes.Buffer
		fr := http2.NewFramer(&out, nil)
		enc := hpack.NewEncoder(&hb)
		fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 10})
		write(fr, enc, &hb)
		return out.Bytes()
	}
	f.Add(serverFrames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
		fr.WriteData(1, false, []byte("body"))
		hb.Reset()
		enc.WriteField(hpack.HeaderField{Name: "grpc-status", Value: "0"})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true, EndStream: true})
	}))
	f.Add(serverFrames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		fr.WriteRSTStream(1, http2.ErrCodeRefusedStream)
		fr.WritePing(false, [8]byte{})
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		srv, cli := net.Pipe()
		cc := NewClientConn(cli, ClientConfig{Config: Config{StreamIdleTimeout: 50 * time.Millisecond, WriteTimeout: time.Second}})
		go io.Copy(io.Discard, srv)
		if cc.Reserve() {
			st, err := cc.NewStream(Request{Method: "GET"}, []hpack.HeaderField{{Name: ":method", Value: "GET"}}, true)
			if err == nil {
				go func() {
					st.SetReadDeadline(time.Now().Add(time.Second))
					if _, err := st.Response(); err == nil {
						io.Copy(io.Discard, streamReader{st})
					}
				}()
			}
		}
		srv.SetWriteDeadline(time.Now().Add(time.Second))
		srv.Write(data)
		srv.Close()
		select {
		case <-cc.served:
		case <-time.After(5 * time.Second):
			t.Fatal("client connection did not end")
		}
	})
}

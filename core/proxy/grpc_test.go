package proxy_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// testService implements the gRPC interop TestService.
type testService struct {
	testpb.UnimplementedTestServiceServer
	cancelled chan struct{} // closed... signalled when a call's context ends early
	sleep     time.Duration
}

func (s *testService) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if s.sleep > 0 {
		select {
		case <-time.After(s.sleep):
		case <-ctx.Done():
			s.cancelled <- struct{}{}
			return nil, ctx.Err()
		}
	}
	if req.ResponseStatus != nil {
		return nil, status.Error(codes.Code(req.ResponseStatus.Code), req.ResponseStatus.Message)
	}
	return &testpb.SimpleResponse{Payload: &testpb.Payload{Body: bytes.Repeat([]byte{'r'}, int(req.ResponseSize))}}, nil
}

func (s *testService) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	for _, p := range req.ResponseParameters {
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: make([]byte, p.Size)}}); err != nil {
			return err
		}
	}
	if s.sleep > 0 {
		select {
		case <-time.After(s.sleep):
		case <-stream.Context().Done():
			s.cancelled <- struct{}{}
		}
	}
	return nil
}

func (s *testService) StreamingInputCall(stream grpc.ClientStreamingServer[testpb.StreamingInputCallRequest, testpb.StreamingInputCallResponse]) error {
	total := 0
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		total += len(m.Payload.GetBody())
	}
}

func (s *testService) FullDuplexCall(stream grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range m.ResponseParameters {
			if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: bytes.Repeat([]byte{'b'}, int(p.Size))}}); err != nil {
				return err
			}
		}
	}
}

const bigMsg = 32 << 20

// grpcOrigin runs the test service on a grpc-go server.
func grpcOrigin(t *testing.T, svc *testService) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.MaxRecvMsgSize(bigMsg), grpc.MaxSendMsgSize(bigMsg))
	testpb.RegisterTestServiceServer(s, svc)
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(ln) }()
	t.Cleanup(func() { s.Stop(); <-done })
	return ln.Addr().String()
}

func grpcClient(t *testing.T, addr string) testpb.TestServiceClient {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(bigMsg), grpc.MaxCallSendMsgSize(bigMsg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return testpb.NewTestServiceClient(cc)
}

func grpcProxy(t *testing.T, upstream string, timeout time.Duration) testpb.TestServiceClient {
	addr := startProxy(t, upstream, proxyConf{opts: h2Upstream(api.Auto), timeout: timeout})
	return grpcClient(t, addr)
}

func TestGRPCThroughProxy(t *testing.T) {
	// The 16 MiB messages leave garbage (and grpc-go's pooled buffers)
	// that tests measuring the heap afterwards must not see.
	t.Cleanup(func() { runtime.GC(); runtime.GC() })
	svc := &testService{cancelled: make(chan struct{}, 4)}
	c := grpcProxy(t, grpcOrigin(t, svc), 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	t.Run("unary", func(t *testing.T) {
		r, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1000, Payload: &testpb.Payload{Body: make([]byte, 500)}})
		if err != nil || len(r.Payload.Body) != 1000 {
			t.Fatalf("%v %v", r, err)
		}
	})
	t.Run("status from the server", func(t *testing.T) {
		_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "no such thing"}})
		if s, _ := status.FromError(err); s.Code() != codes.NotFound || s.Message() != "no such thing" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("client streaming", func(t *testing.T) {
		st, err := c.StreamingInputCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			if err := st.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 1000*i)}}); err != nil {
				t.Fatal(err)
			}
		}
		r, err := st.CloseAndRecv()
		if err != nil || r.AggregatedPayloadSize != 45000 {
			t.Fatalf("%v %v", r, err)
		}
	})
	t.Run("server streaming", func(t *testing.T) {
		var params []*testpb.ResponseParameters
		for i := 1; i <= 20; i++ {
			params = append(params, &testpb.ResponseParameters{Size: int32(i * 100)})
		}
		st, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: params})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; ; i++ {
			m, err := st.Recv()
			if err == io.EOF {
				if i != 21 {
					t.Fatalf("%d messages", i-1)
				}
				break
			}
			if err != nil || len(m.Payload.Body) != i*100 {
				t.Fatalf("message %d: %v", i, err)
			}
		}
	})
	t.Run("bidi ping-pong", func(t *testing.T) {
		st, err := c.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Each message waits for its answer: the proxy must relay both
		// directions at once.
		for i := 1; i <= 10; i++ {
			if err := st.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: int32(i)}}}); err != nil {
				t.Fatal(err)
			}
			m, err := st.Recv()
			if err != nil || len(m.Payload.Body) != i {
				t.Fatalf("answer %d: %v", i, err)
			}
		}
		st.CloseSend()
		if _, err := st.Recv(); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	})
	t.Run("16 MiB messages both ways", func(t *testing.T) {
		st, err := c.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		big := &testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 16<<20)},
			ResponseParameters: []*testpb.ResponseParameters{{Size: 16 << 20}}}
		for i := 0; i < 2; i++ {
			if err := st.Send(big); err != nil {
				t.Fatal(err)
			}
			m, err := st.Recv()
			if err != nil || len(m.Payload.Body) != 16<<20 {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		st.CloseSend()
		if _, err := st.Recv(); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	})
}

// TestGRPCCancelReachesServer: a call the client cancels ends the
// server's context.
func TestGRPCCancelReachesServer(t *testing.T) {
	svc := &testService{cancelled: make(chan struct{}, 4), sleep: 10 * time.Second}
	c := grpcProxy(t, grpcOrigin(t, svc), 0)
	for _, name := range []string{"unary", "server streaming"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				if name == "unary" {
					_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{})
					errc <- err
					return
				}
				st, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}})
				if err == nil {
					_, err = st.Recv()
					if err == nil {
						_, err = st.Recv()
					}
				}
				errc <- err
			}()
			time.Sleep(200 * time.Millisecond)
			cancel()
			if err := <-errc; status.Code(err) != codes.Canceled {
				t.Fatalf("client: %v", err)
			}
			select {
			case <-svc.cancelled:
			case <-time.After(5 * time.Second):
				t.Fatal("the server's context was not cancelled")
			}
		})
	}
}

// TestGRPCProxyErrors: errors the proxy makes are gRPC statuses in HTTP
// 200 trailers-only responses.
func TestGRPCProxyErrors(t *testing.T) {
	t.Run("no upstream: 14 UNAVAILABLE", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := ln.Addr().String()
		ln.Close()
		c := grpcProxy(t, dead, 0)
		_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		if s, _ := status.FromError(err); s.Code() != codes.Unavailable || !strings.Contains(s.Message(), "upstream connect error") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("route timeout: 4 DEADLINE_EXCEEDED", func(t *testing.T) {
		svc := &testService{cancelled: make(chan struct{}, 4), sleep: 5 * time.Second}
		c := grpcProxy(t, grpcOrigin(t, svc), 200*time.Millisecond)
		_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		if s, _ := status.FromError(err); s.Code() != codes.DeadlineExceeded {
			t.Fatalf("%v", err)
		}
	})
	t.Run("grpc-timeout shorter than the route", func(t *testing.T) {
		svc := &testService{cancelled: make(chan struct{}, 4), sleep: 5 * time.Second}
		addr := startProxy(t, grpcOrigin(t, svc), proxyConf{opts: h2Upstream(api.Auto), timeout: 10 * time.Second})
		// A raw HTTP/2 request, so that the deadline is the proxy's and not
		// the client library's.
		start := time.Now()
		req, _ := http.NewRequest("POST", "http://"+addr+"/grpc.testing.TestService/UnaryCall", bytes.NewReader([]byte{0, 0, 0, 0, 0}))
		req.Header.Set("Content-Type", "application/grpc")
		req.Header.Set("Te", "trailers")
		req.Header.Set("Grpc-Timeout", "300m")
		resp, err := h2cClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		st := resp.Header.Get("Grpc-Status")
		if st == "" {
			st = resp.Trailer.Get("Grpc-Status")
		}
		if resp.StatusCode != 200 || st != "4" {
			t.Fatalf("status %d grpc-status %q, headers %v trailers %v", resp.StatusCode, st, resp.Header, resp.Trailer)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}

// TestGRPCRouteUpstreamProtocol: a route's upstream_protocol Http2 on an
// HTTP/1-upstream proxy carries gRPC, bidi ping-pong included (full
// duplex).
func TestGRPCRouteUpstreamProtocol(t *testing.T) {
	svc := &testService{cancelled: make(chan struct{}, 4)}
	routers, clusters := testRouting(t, grpcOrigin(t, svc), "Http2")
	addr := serveProxy(t, proxy.Options{RouterName: "r", Routers: routers, Clusters: clusters, Protocol: api.Auto, UpstreamProtocol: api.HTTP1}, 0)
	c := grpcClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := st.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: int32(i)}}}); err != nil {
			t.Fatal(err)
		}
		if m, err := st.Recv(); err != nil || len(m.Payload.Body) != i {
			t.Fatalf("answer %d: %v", i, err)
		}
	}
	st.CloseSend()
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
)

// The gRPC origin serves one unary method without protoc: the service is a
// hand-written grpc.ServiceDesc and messages are raw bytes under a codec
// named "raw" (content-type application/grpc+raw). Proxies forward gRPC
// without looking at the message encoding.

// grpcMethod is the full name of the benchmark's unary method.
const grpcMethod = "/bench.Bench/Unary"

// rawCodec passes messages through as bytes: it marshals []byte or *[]byte
// and unmarshals into *[]byte (copying, as grpc frees the input).
type rawCodec struct{}

// Name is the content-subtype: application/grpc+raw.
func (rawCodec) Name() string { return "raw" }

// Marshal returns the message bytes themselves; the slice is not copied.
func (rawCodec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case []byte:
		return m, nil
	case *[]byte:
		return *m, nil
	}
	return nil, fmt.Errorf("grpc: raw codec cannot marshal %T", v)
}

// Unmarshal copies data into *v, reusing its capacity.
func (rawCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("grpc: raw codec cannot unmarshal into %T", v)
	}
	*m = append((*m)[:0], data...)
	return nil
}

var registerRawCodec = sync.OnceFunc(func() { encoding.RegisterCodec(rawCodec{}) })

// grpcServiceDesc describes service bench.Bench with the one method Unary,
// which answers any request with the service's fixed reply.
func grpcServiceDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "bench.Bench",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Unary",
			Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				var req []byte
				if err := dec(&req); err != nil {
					return nil, err
				}
				return srv.(*grpcBench).reply, nil
			},
		}},
		Metadata: "bench.proto",
	}
}

// grpcBench is the service implementation: a fixed reply.
type grpcBench struct{ reply []byte }

// ServeGRPC serves bench.Bench on ln with a reply of size bytes until ctx ends.
func ServeGRPC(ctx context.Context, ln net.Listener, size int) error {
	registerRawCodec()
	srv := grpc.NewServer(grpc.MaxConcurrentStreams(1000))
	srv.RegisterService(grpcServiceDesc(), &grpcBench{reply: bytes.Repeat([]byte("x"), size)})
	go func() {
		<-ctx.Done()
		srv.Stop()
	}()
	return srv.Serve(ln)
}

// Package loadgen holds both ends of the benchmark's traffic: the origins
// that stand behind the proxies under test (a raw-socket HTTP/1.1 server,
// an h2c server, a gRPC server, a TCP sink) and the load generators the
// harness implements itself (an open-loop HTTP/1.1 client at a fixed rate,
// a gRPC unary client, a bulk TCP writer, a TLS handshake client and an
// idle-connection holder), with the Result they report and the percentile
// arithmetic behind it.
//
// tools/bench runs each of them as a child process of its own binary, so
// that they can be pinned to the load CPU apart from the proxy.
package loadgen

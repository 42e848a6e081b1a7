package network

import (
	"net"
	"net/netip"
	"testing"
)

func TestSelectChain(t *testing.T) {
	p := netip.MustParsePrefix
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	// Istio inbound-like chains.
	ms := []*ChainMatch{
		0: {DestinationPort: 9080, TransportProtocol: "tls", ApplicationProtocols: []string{"istio-peer-exchange", "istio"}},
		1: {DestinationPort: 9080, TransportProtocol: "raw_buffer"},
		2: {DestinationPort: 9080, TransportProtocol: "tls"},
		3: {PrefixRanges: []netip.Prefix{p("10.0.0.0/8")}},
		4: {PrefixRanges: []netip.Prefix{p("10.1.0.0/16")}, ServerNames: []string{"*.example.com"}},
		5: {PrefixRanges: []netip.Prefix{p("10.1.0.0/16")}, ServerNames: []string{"api.example.com"}},
		6: {PrefixRanges: []netip.Prefix{p("10.1.0.0/16")}, ServerNames: []string{"*.b.example.com"}},
		7: {DestinationPort: 7000, SourcePrefixRanges: []netip.Prefix{p("192.168.0.0/16")}},
		8: {DestinationPort: 7000, SourceType: SourceLocal},
		9: {DestinationPort: 7001, SourcePorts: []uint16{5555}},
	}
	tests := []struct {
		name          string
		info          ConnInfo
		local, remote string
		want          int
	}{
		{"mtls istio", ConnInfo{TransportProtocol: "tls", ALPN: []string{"istio"}}, "10.0.0.5:9080", "10.0.0.9:4000", 0},
		{"plain", ConnInfo{TransportProtocol: "raw_buffer"}, "10.0.0.5:9080", "10.0.0.9:4000", 1},
		{"tls without istio alpn", ConnInfo{TransportProtocol: "tls", ALPN: []string{"h2"}}, "10.0.0.5:9080", "10.0.0.9:4000", 2},
		{"port beats prefix", ConnInfo{TransportProtocol: "raw_buffer"}, "10.1.0.5:9080", "10.0.0.9:4000", 1},
		{"other port: prefix", ConnInfo{}, "10.2.0.5:80", "10.0.0.9:4000", 3},
		{"longer prefix, then exact name", ConnInfo{ServerName: "api.example.com"}, "10.1.0.5:80", "10.0.0.9:4000", 5},
		{"longer prefix, wildcard", ConnInfo{ServerName: "www.example.com"}, "10.1.0.5:80", "10.0.0.9:4000", 4},
		{"longest wildcard", ConnInfo{ServerName: "x.b.example.com"}, "10.1.0.5:80", "10.0.0.9:4000", 6},
		{"longer prefix, no name: no chain", ConnInfo{ServerName: "other.org"}, "10.1.0.5:80", "10.0.0.9:4000", -1},
		{"source prefix", ConnInfo{}, "10.3.0.1:7000", "192.168.1.1:4000", 7},
		{"source local", ConnInfo{}, "127.0.0.1:7000", "127.0.0.1:4000", 8},
		{"source external, no prefix", ConnInfo{}, "10.3.0.1:7000", "172.16.0.1:4000", -1},
		{"source port", ConnInfo{}, "10.3.0.1:7001", "172.16.0.1:5555", 9},
		{"source port mismatch", ConnInfo{}, "10.3.0.1:7001", "172.16.0.1:5556", -1},
		{"nothing", ConnInfo{}, "192.0.2.1:80", "192.0.2.2:1", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SelectChain(ms, &tt.info, tcp(tt.local), tcp(tt.remote)); got != tt.want {
				t.Fatalf("chain %d, want %d", got, tt.want)
			}
		})
	}
	// A chain without filter_chain_match catches what others leave.
	withDefault := append(append([]*ChainMatch{}, ms...), nil)
	if got := SelectChain(withDefault, &ConnInfo{}, tcp("192.0.2.1:80"), tcp("192.0.2.2:1")); got != len(ms) {
		t.Fatalf("default chain: %d", got)
	}
}

func BenchmarkSelectChain(b *testing.B) {
	p := netip.MustParsePrefix
	ms := []*ChainMatch{
		{DestinationPort: 9080, TransportProtocol: "tls", ApplicationProtocols: []string{"istio-peer-exchange", "istio"}},
		{DestinationPort: 9080, TransportProtocol: "raw_buffer"},
		{DestinationPort: 9080, TransportProtocol: "tls"},
		{PrefixRanges: []netip.Prefix{p("10.0.0.0/8")}},
		nil,
	}
	info := &ConnInfo{TransportProtocol: "tls", ALPN: []string{"istio"}}
	local := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 9080}
	remote := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 9), Port: 4000}
	b.ReportAllocs()
	for b.Loop() {
		if SelectChain(ms, info, local, remote) != 0 {
			b.Fatal("wrong chain")
		}
	}
}

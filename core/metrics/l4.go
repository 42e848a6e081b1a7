package metrics

import "github.com/seed405ffdea/mosn/api"

// RecordL4 records one finished tcp_proxy connection or udp_proxy session
// against its cluster: bytes received from and sent to the upstream
// (upstream_cx_rx_bytes_total, upstream_cx_tx_bytes_total) and the
// failures its flags name (no healthy host, circuit breaker); failed
// connects are counted one by one with ConnectFailure. Upstream
// connections are counted by the hosts' pools. A
// cluster without a handle (not applied, or removed meanwhile) is not
// recorded. It allocates nothing.
func (m *Metrics) RecordL4(cluster string, upstreamRx, upstreamTx uint64, flags api.ResponseFlag) {
	c := (*m.clusters.Load())[cluster]
	if c == nil {
		return
	}
	if flags&api.UpstreamOverflow != 0 {
		c.pendingOverflow.Add(1)
	}
	if flags&api.NoHealthyUpstream != 0 {
		c.noneHealthy.Add(1)
	}
	c.rx.Add(upstreamRx)
	c.tx.Add(upstreamTx)
}

// ConnectFailure counts one failed upstream connect of an L4 filter
// (upstream_cx_connect_fail), each attempt on its own as Envoy does.
func (m *Metrics) ConnectFailure(cluster string) {
	if c := (*m.clusters.Load())[cluster]; c != nil {
		c.connectFail.Add(1)
	}
}

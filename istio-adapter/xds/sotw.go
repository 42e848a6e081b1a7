package xds

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
)

// sotwProto is the State of the World protocol: each request carries the
// full list of names of a type, the last accepted version and the nonce
// of the response it answers.
type sotwProto struct {
	st       discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node     *corev3.Node
	nodeSent bool
	ctrl     *Controller
	nonces   map[string]string
	sent     map[string][]string
}

func (p *sotwProto) send(typeURL string, nack error) error {
	req := &discoveryv3.DiscoveryRequest{
		TypeUrl:       typeURL,
		VersionInfo:   p.ctrl.Version(typeURL),
		ResponseNonce: p.nonces[typeURL],
		ResourceNames: p.ctrl.Names(typeURL),
	}
	if !p.nodeSent {
		req.Node, p.nodeSent = p.node, true
	}
	if nack != nil {
		req.ErrorDetail = nackStatus(nack)
	}
	p.sent[typeURL] = req.ResourceNames
	return p.st.Send(req)
}

func (p *sotwProto) subscribe(typeURL string) error { return p.send(typeURL, nil) }

func (p *sotwProto) resubscribe(typeURL string) error {
	names := p.ctrl.Names(typeURL)
	if len(names) == 0 || sameNames(names, p.sent[typeURL]) {
		// An empty list would be a wildcard subscription in SotW.
		return nil
	}
	return p.send(typeURL, nil)
}

func (p *sotwProto) recv() (any, error) { return p.st.Recv() }

func (p *sotwProto) handle(r any) (string, error) {
	resp := r.(*discoveryv3.DiscoveryResponse)
	t := resp.GetTypeUrl()
	p.nonces[t] = resp.GetNonce()
	var res []Resource
	var bad error
	for i, a := range resp.GetResources() {
		m, name, err := decode(t, a)
		if err != nil {
			bad = fmt.Errorf("resources[%d]: %w", i, err)
			break
		}
		res = append(res, Resource{Name: name, Version: resp.GetVersionInfo(), Msg: m})
	}
	if bad == nil {
		full := t == ClusterType || t == ListenerType
		bad = p.ctrl.Handle(t, res, nil, full, resp.GetVersionInfo())
	}
	return t, p.send(t, bad)
}

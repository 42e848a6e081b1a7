package xds

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
)

// deltaProto is the incremental protocol: responses carry only changed
// and removed resources; subscriptions change by difference.
type deltaProto struct {
	st         discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	node       *corev3.Node
	nodeSent   bool
	ctrl       *Controller
	subscribed map[string][]string
}

func (p *deltaProto) send(req *discoveryv3.DeltaDiscoveryRequest) error {
	if !p.nodeSent {
		req.Node, p.nodeSent = p.node, true
	}
	return p.st.Send(req)
}

func (p *deltaProto) subscribe(typeURL string) error {
	req := &discoveryv3.DeltaDiscoveryRequest{
		TypeUrl:                 typeURL,
		InitialResourceVersions: p.ctrl.Versions(typeURL),
	}
	if typeURL == EndpointType || typeURL == RouteType {
		req.ResourceNamesSubscribe = p.ctrl.Names(typeURL)
		p.subscribed[typeURL] = req.ResourceNamesSubscribe
	}
	return p.send(req)
}

func (p *deltaProto) resubscribe(typeURL string) error {
	names := p.ctrl.Names(typeURL)
	old, ok := p.subscribed[typeURL]
	if !ok {
		if len(names) == 0 {
			return nil
		}
		return p.subscribe(typeURL)
	}
	req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL}
	have := map[string]bool{}
	for _, n := range old {
		have[n] = true
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
		if !have[n] {
			req.ResourceNamesSubscribe = append(req.ResourceNamesSubscribe, n)
		}
	}
	for _, n := range old {
		if !want[n] {
			req.ResourceNamesUnsubscribe = append(req.ResourceNamesUnsubscribe, n)
		}
	}
	if len(req.ResourceNamesSubscribe) == 0 && len(req.ResourceNamesUnsubscribe) == 0 {
		return nil
	}
	p.subscribed[typeURL] = names
	return p.send(req)
}

func (p *deltaProto) recv() (any, error) { return p.st.Recv() }

func (p *deltaProto) handle(r any) (string, error) {
	resp := r.(*discoveryv3.DeltaDiscoveryResponse)
	t := resp.GetTypeUrl()
	var res []Resource
	var bad error
	for i, r := range resp.GetResources() {
		m, name, err := decode(t, r.GetResource())
		if err != nil {
			bad = fmt.Errorf("resources[%d]: %w", i, err)
			break
		}
		if r.GetName() != "" {
			name = r.GetName()
		}
		res = append(res, Resource{Name: name, Version: r.GetVersion(), Msg: m})
	}
	if bad == nil {
		bad = p.ctrl.Handle(t, res, resp.GetRemovedResources(), false, resp.GetSystemVersionInfo())
	}
	req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: t, ResponseNonce: resp.GetNonce()}
	if bad != nil {
		req.ErrorDetail = nackStatus(bad)
	}
	return t, p.send(req)
}

package convert

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
)

func TestHeaderMatchers(t *testing.T) {
	sm := func(m *matcherv3.StringMatcher) *routev3.HeaderMatcher {
		return &routev3.HeaderMatcher{Name: "x", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: m}}
	}
	for _, tc := range []struct {
		name       string
		in         *routev3.HeaderMatcher
		match, not []string
		err        string
	}{
		{"exact", sm(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "a.b"}}), []string{"a.b"}, []string{"axb"}, ""},
		{"prefix", sm(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: "a."}}), []string{"a.", "a.zz"}, []string{"ab", "xa."}, ""},
		{"suffix", sm(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Suffix{Suffix: ".z"}}), []string{"a.z"}, []string{"a.zz"}, ""},
		{"contains ignore case", sm(&matcherv3.StringMatcher{IgnoreCase: true, MatchPattern: &matcherv3.StringMatcher_Contains{Contains: "Mid"}}), []string{"xmidy", "MID"}, []string{"mi d"}, ""},
		{"regex", sm(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "v[0-9]+"}}}), []string{"v12"}, []string{"v", "xv1"}, ""},
		{"present", &routev3.HeaderMatcher{Name: "x", HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}}, []string{"", "any"}, nil, ""},
		{"invert", &routev3.HeaderMatcher{Name: "x", InvertMatch: true}, nil, nil, "invert_match: inverted header matching: not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := headerMatcher(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ok := func(v string) bool {
				if !m.Regex {
					return v == m.Value
				}
				return regexp.MustCompile("^(?:" + m.Value + ")$").MatchString(v)
			}
			for _, v := range tc.match {
				if !ok(v) {
					t.Errorf("%+v does not match %q", m, v)
				}
			}
			for _, v := range tc.not {
				if ok(v) {
					t.Errorf("%+v matches %q", m, v)
				}
			}
		})
	}
}

func TestRedirectAndDirectResponse(t *testing.T) {
	rc := &routev3.RouteConfiguration{Name: "r", VirtualHosts: []*routev3.VirtualHost{{
		Name: "v", Domains: []string{"*"}, RequireTls: routev3.VirtualHost_ALL,
		Routes: []*routev3.Route{
			{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: "/old"}},
				Action: &routev3.Route_Redirect{Redirect: &routev3.RedirectAction{ResponseCode: routev3.RedirectAction_PERMANENT_REDIRECT,
					SchemeRewriteSpecifier: &routev3.RedirectAction_HttpsRedirect{HttpsRedirect: true}, PathRewriteSpecifier: &routev3.RedirectAction_PathRedirect{PathRedirect: "/new"}}}},
			{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 418, Body: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "teapot"}}}}},
		},
	}}}
	r, err := ConvertRoute(rc)
	if err != nil {
		t.Fatal(err)
	}
	vh := r.Config.VirtualHosts[0]
	if vh.RequireTLS != "ALL" {
		t.Errorf("require_tls %q", vh.RequireTLS)
	}
	if rd := vh.Routers[0].Redirect; rd == nil || rd.ResponseCode != 308 || rd.SchemeRedirect != "https" || rd.PathRedirect != "/new" || vh.Routers[0].Match.Path != "/old" {
		t.Errorf("redirect %+v", vh.Routers[0])
	}
	if dr := vh.Routers[1].DirectResponse; dr == nil || dr.StatusCode != 418 || dr.Body != "teapot" {
		t.Errorf("direct response %+v", dr)
	}
}

func hcmListener(t *testing.T, filters ...*hcmv3.HttpFilter) *listenerv3.Listener {
	router, _ := anypb.New(&routerv3.Router{})
	filters = append(filters, &hcmv3.HttpFilter{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router}})
	h, err := anypb.New(&hcmv3.HttpConnectionManager{
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{VirtualHosts: []*routev3.VirtualHost{{Name: "v", Domains: []string{"*"},
			Routes: []*routev3.Route{{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 200}}}}}}}},
		HttpFilters: filters,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.Listener{Name: "l",
		Address:      &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: "127.0.0.1", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 8080}}}},
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: h}}}}},
	}
}

// Security filters and filters without a mapping go to the engine under
// their Envoy names, never skipped: the engine refuses the listener,
// naming the filter, until a filter of that name is registered. Optional
// filters without a mapping and telemetry filters are skipped and noted.
func TestHTTPFilterPolicy(t *testing.T) {
	jwt, _ := anypb.New(&jwtv3.JwtAuthentication{})
	unknown, _ := anypb.New(&emptypb.Empty{})
	for _, tc := range []struct {
		name   string
		filter *hcmv3.HttpFilter
		err    string
		note   string
	}{
		{"jwt refused by the engine", &hcmv3.HttpFilter{Name: "jwt", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: jwt}}, `stream filter type "envoy.filters.http.jwt_authn" is not supported yet`, ""},
		{"optional jwt still refused", &hcmv3.HttpFilter{Name: "jwt", IsOptional: true, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: jwt}}, `stream filter type "envoy.filters.http.jwt_authn" is not supported yet`, ""},
		{"unknown required", &hcmv3.HttpFilter{Name: "acme.filter", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: unknown}}, `stream filter type "acme.filter" is not supported yet`, ""},
		{"unknown optional", &hcmv3.HttpFilter{Name: "acme.filter", IsOptional: true, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: unknown}}, "", "acme.filter skipped (optional)"},
		{"telemetry", &hcmv3.HttpFilter{Name: "istio.stats", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: unknown}}, "", "istio.stats skipped (telemetry only)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ConvertListener(hcmListener(t, tc.filter))
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Routes) != 1 || l.Routes[0].RouterConfigName != "l#0" {
				t.Errorf("inline routes %+v", l.Routes)
			}
			_, err = applyListener(t, l)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, config.ErrNotSupported) {
					t.Fatalf("engine: err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("engine refused: %v", err)
			}
			if !strings.Contains(strings.Join(l.Notes.Skipped, "\n"), tc.note) {
				t.Errorf("notes %v lack %q", l.Notes.Skipped, tc.note)
			}
		})
	}
}

// applyListener validates a converted listener with core's rules.
func applyListener(t *testing.T, l *Listener) (*config.MOSNConfig, error) {
	t.Helper()
	base := &config.MOSNConfig{Servers: []config.ServerConfig{{Listeners: []config.ListenerConfig{}, Routers: []config.RouterConfig{}}}}
	known := server.NewRegistries().Known()
	if err := base.ValidateWith(known); err != nil {
		t.Fatal(err)
	}
	return base.Apply(&config.Update{Listeners: []config.ListenerConfig{l.Config}, Routers: l.Routes}, known)
}

func TestEndpointsPolicy(t *testing.T) {
	ep := func(addr string, port, weight uint32, hs corev3.HealthStatus) *endpointv3.LbEndpoint {
		return &endpointv3.LbEndpoint{HealthStatus: hs, LoadBalancingWeight: wrapperspb.UInt32(weight),
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{
				SocketAddress: &corev3.SocketAddress{Address: addr, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}}}}
	}
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: "c", Endpoints: []*endpointv3.LocalityLbEndpoints{
		{LbEndpoints: []*endpointv3.LbEndpoint{
			ep("10.0.0.1", 80, 1000, corev3.HealthStatus_HEALTHY),
			ep("10.0.0.2", 80, 250, corev3.HealthStatus_UNKNOWN),
			ep("10.0.0.3", 80, 5, corev3.HealthStatus_UNHEALTHY),
			ep("10.0.0.4", 80, 5, corev3.HealthStatus_DRAINING),
		}},
		{Priority: 1, LbEndpoints: []*endpointv3.LbEndpoint{ep("10.0.1.1", 80, 1, corev3.HealthStatus_HEALTHY)}},
	}}
	e, err := ConvertEndpoints(cla)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Hosts) != 2 || e.Hosts[0].Address != "10.0.0.1:80" || e.Hosts[0].Weight != 128 || e.Hosts[1].Weight != 32 {
		t.Fatalf("hosts %+v", e.Hosts)
	}
	notes := strings.Join(e.Notes.Skipped, "\n")
	if !strings.Contains(notes, "priority 1 left out") || !strings.Contains(notes, "weights scaled") {
		t.Errorf("notes %s", notes)
	}
}

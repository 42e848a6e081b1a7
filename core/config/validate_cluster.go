package config

import (
	"github.com/seed405ffdea/mosn/core/tlsctx"

	"bufio"
	"bytes"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Cluster types and load balancers MOSN knows (and Envoy's RING_HASH).
var (
	mosnClusterTypes = []string{"SIMPLE", "STATIC", "DYNAMIC", "EDS", "ORIGINAL_DST", "STRICT_DNS"}
	mosnLbTypes      = []string{
		"LB_ROUNDROBIN", "LB_RANDOM", "LB_WEIGHTED_ROUNDROBIN", "LB_LEAST_REQUEST",
		"LB_LEAST_CONNECTION", "LB_MAGLEV", "LB_ORIGINAL_DST", "LB_REQUEST_ROUNDROBIN", "LB_PEAKEWMA",
		"RING_HASH",
	}
	dnsFamilies = []string{"V4_ONLY", "V6_ONLY", "AUTO"}
)

func (v *validator) clusterManager(cm *ClusterManagerConfig, path string) error {
	switch {
	case cm.AutoDiscovery:
		return notSupported(path+".auto_discovery", "")
	case cm.RegistryUseHealthCheck:
		return notSupported(path+".registry_use_health_check", "")
	case cm.ClusterConfigPath != "":
		return notSupported(path+".clusters_configs", "loading clusters from a directory")
	case cm.TLSContext != nil && cm.TLSContext.Status:
		return notSupported(path+".tls_context", "TLS")
	case cm.ClusterPoolEnable:
		return notSupported(path+".cluster_pool_enable", "")
	}
	for i := range cm.Clusters {
		// Names were checked by ValidateWith.
		if err := v.cluster(&cm.Clusters[i], indexPath(path+".clusters", i)); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) cluster(c *ClusterConfig, path string) error {
	switch c.Type {
	case "":
		c.Type = "SIMPLE"
	case "SIMPLE", "STATIC", "EDS", "STRICT_DNS", "ORIGINAL_DST":
	default:
		if contains(mosnClusterTypes, c.Type) {
			return notSupportedf(path+".type", "cluster type %q", c.Type)
		}
		return unknownValue(path+".type", "cluster type", c.Type, mosnClusterTypes)
	}
	if err := v.lbType(c, path); err != nil {
		return err
	}
	if err := clusterUnsupported(c, path); err != nil {
		return err
	}
	if c.TLSContext != nil {
		if err := v.tlsContext(c.TLSContext, path+".tls_context", tlsctx.ClientSide); err != nil {
			return err
		}
	}
	if c.MaxRequestPerConn == 0 {
		c.MaxRequestPerConn = DefaultMaxRequestPerConn
	}
	if c.ConnBufferLimitBytes == 0 {
		c.ConnBufferLimitBytes = DefaultConnBufferLimitBytes
	}
	if err := circuitBreakers(c, path+".circuit_breakers"); err != nil {
		return err
	}
	switch {
	case c.ConnectTimeout == nil:
		c.ConnectTimeout = &Duration{DefaultConnectTimeout}
	case c.ConnectTimeout.Duration <= 0:
		return fieldErr(path+".connect_timeout", "must be positive, got %s", c.ConnectTimeout)
	}
	if c.Type == "ORIGINAL_DST" && len(c.Hosts) > 0 {
		return fieldErr(path+".hosts", "an ORIGINAL_DST cluster takes no hosts (each request brings its destination)")
	}
	for i := range c.Hosts {
		if err := host(&c.Hosts[i], indexPath(path+".hosts", i), c.Type == "STRICT_DNS"); err != nil {
			return err
		}
	}
	if err := v.healthCheck(c.HealthCheck, path+".health_check"); err != nil {
		return err
	}
	if err := subsetConfig(c.LBSubsetConfig, path+".lb_subset_config"); err != nil {
		return err
	}
	if c.LBOriDstConfig != nil && c.Type != "ORIGINAL_DST" && (c.LBOriDstConfig.UseHeader || c.LBOriDstConfig.HeaderName != "") {
		v.warnings = append(v.warnings, path+".original_dst_lb_config: ignored: the cluster's type is not ORIGINAL_DST")
	}
	if err := lbConfig(c.LbConfig, path+".lbconfig"); err != nil {
		return err
	}
	if err := v.dns(c, path); err != nil {
		return err
	}
	if err := slowStart(c, path+".slow_start"); err != nil {
		return err
	}
	return outlierDetection(c.OutlierDetection, path+".outlier_detection")
}

func (v *validator) lbType(c *ClusterConfig, path string) error {
	switch c.LbType {
	case "":
		c.LbType = "LB_ROUNDROBIN"
		if c.Type == "ORIGINAL_DST" {
			c.LbType = "LB_ORIGINAL_DST"
		}
		return nil
	case "LB_ORIGINAL_DST":
		if c.Type != "ORIGINAL_DST" {
			return fieldErr(path+".lb_type", "LB_ORIGINAL_DST needs a cluster of type ORIGINAL_DST")
		}
		return nil
	}
	if !contains(mosnLbTypes, c.LbType) {
		return unknownValue(path+".lb_type", "load balancer", c.LbType, mosnLbTypes)
	}
	if c.Type == "ORIGINAL_DST" {
		// MOSN, too, uses LB_ORIGINAL_DST for these whatever lb_type says.
		v.warnings = append(v.warnings, path+".lb_type: "+strconv.Quote(c.LbType)+" replaced by LB_ORIGINAL_DST, which an ORIGINAL_DST cluster implies")
		c.LbType = "LB_ORIGINAL_DST"
	}
	return nil
}

func clusterUnsupported(c *ClusterConfig, path string) error {
	switch {
	case c.SubType != "":
		return notSupported(path+".sub_type", "")
	case !rawIsZero(c.Spec):
		return notSupported(path+".spec", "service subscription")
	case c.ClusterManagerTLS:
		return notSupported(path+".cluster_manager_tls", "TLS")
	case c.IdleTimeout != nil && c.IdleTimeout.Duration < 0:
		return fieldErr(path+".idle_timeout", "must not be negative, got %s", c.IdleTimeout)
	}
	return nil
}

func circuitBreakers(c *ClusterConfig, path string) error {
	if c.CircuitBreakers == nil {
		c.CircuitBreakers = &CircuitBreakers{}
	}
	cb := c.CircuitBreakers
	if len(cb.Thresholds) > 1 {
		return notSupported(indexPath(path, 1), "more than one circuit breaker threshold")
	}
	if len(cb.Thresholds) == 0 {
		cb.Thresholds = []Thresholds{{}}
	}
	t := &cb.Thresholds[0]
	if t.MaxConnections == 0 {
		t.MaxConnections = DefaultMaxConnections
	}
	if t.MaxPendingRequests == 0 {
		t.MaxPendingRequests = DefaultMaxPendingRequests
	}
	if t.MaxRequests == 0 {
		t.MaxRequests = DefaultMaxRequests
	}
	if t.MaxRetries == 0 {
		t.MaxRetries = DefaultMaxRetries
	}
	return nil
}

// host checks one host; a STRICT_DNS host may leave the port out.
func host(h *HostConfig, path string, dnsName bool) error {
	if h.Address == "" {
		return fieldErr(path+".address", "required")
	}
	addr := h.Address
	if _, _, err := net.SplitHostPort(addr); err != nil && dnsName {
		addr += ":80"
	}
	if _, _, err := checkAddr(addr, 1); err != nil {
		return causeErr(path+".address", err, "invalid address %q: %v", h.Address, err)
	}
	switch {
	case h.Weight == 0:
		h.Weight = MinHostWeight
	case h.Weight > MaxHostWeight:
		return fieldErr(path+".weight", "weight %d is above the maximum %d", h.Weight, MaxHostWeight)
	}
	return metadataMatch(h.Metadata, path+".metadata")
}

func (v *validator) healthCheck(hc *HealthCheckConfig, path string) error {
	if hc == nil {
		return nil
	}
	if hc.ServiceName == "" {
		// MOSN starts a health checker only for a named service.
		if !isZeroHealthCheck(hc) {
			v.warnings = append(v.warnings, path+": ignored without service_name (MOSN checks only named services)")
		}
		return nil
	}
	switch strings.ToLower(hc.Protocol) {
	case "", "tcp", "http1", "http":
	default:
		return notSupportedf(path+".protocol", "health check protocol %q", hc.Protocol)
	}
	if len(hc.CommonCallbacks) > 0 {
		return notSupported(path+".common_callbacks", "health check callbacks")
	}
	if hc.InitialDelay != nil && hc.InitialDelaySeconds != nil {
		return fieldErr(path+".initial_delay", "set initial_delay or initial_delay_seconds, not both")
	}
	delayName := "initial_delay_seconds"
	if hc.InitialDelaySeconds == nil && hc.InitialDelay != nil {
		delayName = "initial_delay"
		hc.InitialDelaySeconds, hc.InitialDelay = hc.InitialDelay, nil
	}
	for _, d := range []struct {
		name   string
		v      **Duration
		def    Duration
		zeroOK bool
	}{
		{"timeout", &hc.Timeout, Duration{DefaultHealthCheckTimeout}, false},
		{"interval", &hc.Interval, Duration{DefaultHealthCheckInterval}, false},
		{"interval_jitter", &hc.IntervalJitter, Duration{}, true},
		{delayName, &hc.InitialDelaySeconds, Duration{DefaultHealthCheckInitialDelay}, true},
	} {
		switch {
		case *d.v == nil:
			def := d.def
			*d.v = &def
		case (*d.v).Duration < 0 && d.zeroOK:
			return fieldErr(path+"."+d.name, "must not be negative, got %s", *d.v)
		case (*d.v).Duration <= 0 && !d.zeroOK:
			return fieldErr(path+"."+d.name, "must be positive, got %s", *d.v)
		}
	}
	if hc.HealthyThreshold == 0 {
		hc.HealthyThreshold = DefaultHealthyThreshold
	}
	if hc.UnhealthyThreshold == 0 {
		hc.UnhealthyThreshold = DefaultUnhealthyThreshold
	}
	if hc.CheckConfig == nil || hc.CheckConfig.HTTPCheckConfig == nil {
		return nil
	}
	h := hc.CheckConfig.HTTPCheckConfig
	p := path + ".check_config.http_check_config"
	switch {
	case h.Port < 0 || h.Port > 65535:
		return fieldErr(p+".port", "port %d is out of range (0–65535)", h.Port)
	case h.Timeout != nil && h.Timeout.Duration <= 0:
		return fieldErr(p+".timeout", "must be positive, got %s", h.Timeout)
	case h.Path != "" && !strings.HasPrefix(h.Path, "/"):
		return fieldErr(p+".path", "must start with \"/\", got %q", h.Path)
	case strings.ContainsAny(h.Path, " \r\n"):
		return fieldErr(p+".path", "must not contain spaces or line breaks, got %q", h.Path)
	case strings.ContainsAny(h.Host, " \r\n/"):
		return fieldErr(p+".host", "not a host name: %q", h.Host)
	}
	for i, s := range h.ExpectedStatuses {
		if s < 100 || s > 599 {
			return fieldErr(indexPath(p+".expected_statuses", i), "status %d is not from 100 to 599", s)
		}
	}
	return nil
}

func isZeroHealthCheck(hc *HealthCheckConfig) bool {
	return hc.Protocol == "" && hc.Timeout == nil && hc.Interval == nil && hc.IntervalJitter == nil &&
		hc.InitialDelaySeconds == nil && hc.InitialDelay == nil && hc.HealthyThreshold == 0 &&
		hc.UnhealthyThreshold == 0 && hc.CheckConfig == nil && hc.EventLogPath == "" && len(hc.CommonCallbacks) == 0
}

func subsetConfig(s *LBSubsetConfig, path string) error {
	if s == nil {
		return nil
	}
	for i, sel := range s.SubsetSelectors {
		p := indexPath(path+".subset_selectors", i)
		if len(sel) == 0 {
			return fieldErr(p, "a selector needs at least one key")
		}
		for j, k := range sel {
			if k == "" {
				return fieldErr(indexPath(p, j), "empty key")
			}
		}
	}
	return nil
}

func lbConfig(c *LbConfig, path string) error {
	if c == nil {
		return nil
	}
	switch {
	case c.ClientErrorBias != 0:
		return notSupported(path+".client_error_bias", "")
	case c.ServerErrorBias != 0:
		return notSupported(path+".server_error_bias", "")
	case c.ChoiceCount == 1:
		return fieldErr(path+".choice_count", "must be at least 2, got 1")
	case c.ActiveRequestBias != nil && (*c.ActiveRequestBias < 0 || *c.ActiveRequestBias != *c.ActiveRequestBias):
		return fieldErr(path+".active_request_bias", "must not be negative, got %v", *c.ActiveRequestBias)
	case c.MaximumRingSize > MaxRingSize:
		return fieldErr(path+".maximum_ring_size", "%d is above the largest ring, %d", c.MaximumRingSize, MaxRingSize)
	case c.MinimumRingSize > MaxRingSize:
		return fieldErr(path+".minimum_ring_size", "%d is above the largest ring, %d", c.MinimumRingSize, MaxRingSize)
	case c.MaximumRingSize != 0 && c.MinimumRingSize > c.MaximumRingSize:
		return fieldErr(path+".minimum_ring_size", "%d is above maximum_ring_size %d", c.MinimumRingSize, c.MaximumRingSize)
	}
	return nil
}

func (v *validator) dns(c *ClusterConfig, path string) error {
	if c.Type != "STRICT_DNS" {
		if c.DNSRefreshRate != nil || c.RespectDNSTTL || c.DNSLookupFamily != "" || c.DNSResolvers != nil ||
			c.DNSResolverFile != "" || c.DNSResolverPort != "" {
			v.warnings = append(v.warnings, path+": dns settings ignored: the cluster's type is not STRICT_DNS")
		}
		return nil
	}
	if c.DNSRefreshRate != nil && c.DNSRefreshRate.Duration <= 0 {
		return fieldErr(path+".dns_refresh_rate", "must be positive, got %s", c.DNSRefreshRate)
	}
	switch c.DNSLookupFamily {
	case "":
		c.DNSLookupFamily = "V4_ONLY"
	case "V4_ONLY", "V6_ONLY", "AUTO":
	default:
		return unknownValue(path+".dns_lookup_family", "DNS lookup family", c.DNSLookupFamily, dnsFamilies)
	}
	if c.DNSResolvers == nil && c.DNSResolverFile != "" {
		servers, err := readResolvConf(c.DNSResolverFile)
		if err != nil {
			return causeErr(path+".dns_resolver_file", err, "%v", err)
		}
		if len(servers) == 0 {
			return fieldErr(path+".dns_resolver_file", "no nameserver in %q", c.DNSResolverFile)
		}
		c.DNSResolvers = &DNSResolverConfig{Servers: servers, Port: c.DNSResolverPort}
	}
	r := c.DNSResolvers
	if r == nil {
		return nil
	}
	p := path + ".dns_resolvers"
	switch {
	case len(r.Search) > 0:
		return notSupported(p+".search", "DNS search domains")
	case r.Ndots != 0:
		return notSupported(p+".ndots", "")
	case r.Timeout < 0:
		return fieldErr(p+".timeout", "must not be negative, got %d", r.Timeout)
	case r.Attempts < 0:
		return fieldErr(p+".attempts", "must not be negative, got %d", r.Attempts)
	}
	if r.Port == "" {
		r.Port = "53"
	}
	if n, err := strconv.Atoi(r.Port); err != nil || n < 1 || n > 65535 {
		return fieldErr(p+".port", "port %q is not a number from 1 to 65535", r.Port)
	}
	for i, s := range r.Servers {
		if _, err := netip.ParseAddr(s); err == nil {
			r.Servers[i] = net.JoinHostPort(s, r.Port)
			continue
		}
		if _, err := netip.ParseAddrPort(s); err != nil {
			return causeErr(indexPath(p+".servers", i), err, "expected an IP address or ip:port, got %q", s)
		}
	}
	return nil
}

// readResolvConf returns the nameserver addresses of a resolv.conf.
func readResolvConf(name string) ([]string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var servers []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "nameserver" {
			if _, err := netip.ParseAddr(f[1]); err == nil {
				servers = append(servers, f[1])
			}
		}
	}
	return servers, sc.Err()
}

func slowStart(c *ClusterConfig, path string) error {
	s := c.SlowStart
	if s == nil || s.Mode == "" && s.SlowStartDuration == nil && s.Aggression == 0 && s.MinWeightPercent == 0 {
		c.SlowStart = nil
		return nil
	}
	switch c.LbType {
	case "LB_ROUNDROBIN", "LB_WEIGHTED_ROUNDROBIN", "LB_LEAST_REQUEST":
	default:
		return notSupportedf(path, "slow start with load balancer %q", c.LbType)
	}
	switch {
	case s.Mode != "" && s.Mode != "duration":
		return unknownValue(path+".mode", "slow start mode", s.Mode, []string{"duration"})
	case s.SlowStartDuration == nil:
		return fieldErr(path+".slow_start_duration", "required")
	case s.SlowStartDuration.Duration <= 0:
		return fieldErr(path+".slow_start_duration", "must be positive, got %s", s.SlowStartDuration)
	case s.Aggression < 0 || s.Aggression != s.Aggression:
		return fieldErr(path+".aggression", "must not be negative, got %v", s.Aggression)
	case s.MinWeightPercent < 0 || s.MinWeightPercent > 1 || s.MinWeightPercent != s.MinWeightPercent:
		return fieldErr(path+".min_weight_percent", "must be a fraction from 0 to 1 (0.1 is 10%%), got %v", s.MinWeightPercent)
	}
	s.Mode = "duration"
	if s.Aggression == 0 {
		s.Aggression = 1
	}
	if s.MinWeightPercent == 0 {
		s.MinWeightPercent = 0.1
	}
	return nil
}

func outlierDetection(o *OutlierDetectionConfig, path string) error {
	if o == nil {
		return nil
	}
	for _, u := range []struct {
		name string
		set  bool
	}{
		{"enforcing_success_rate", o.EnforcingSuccessRate != nil},
		{"success_rate_minimum_hosts", o.SuccessRateMinimumHosts != nil},
		{"success_rate_request_volume", o.SuccessRateRequestVolume != nil},
		{"success_rate_stdev_factor", o.SuccessRateStdevFactor != nil},
		{"split_external_local_origin_errors", o.SplitExternalLocalOriginErrors},
		{"consecutive_local_origin_failure", o.ConsecutiveLocalOriginFailure != nil},
		{"enforcing_consecutive_local_origin_failure", o.EnforcingConsecutiveLocalOriginFailure != nil},
		{"enforcing_local_origin_success_rate", o.EnforcingLocalOriginSuccessRate != nil},
		{"failure_percentage_threshold", o.FailurePercentageThreshold != nil},
		{"enforcing_failure_percentage", o.EnforcingFailurePercentage != nil},
		{"enforcing_failure_percentage_local_origin", o.EnforcingFailurePercentageLocalOrigin != nil},
		{"failure_percentage_minimum_hosts", o.FailurePercentageMinimumHosts != nil},
		{"failure_percentage_request_volume", o.FailurePercentageRequestVolume != nil},
		{"max_ejection_time_jitter", o.MaxEjectionTimeJitter != nil},
		{"successful_active_health_check_uneject_host", o.SuccessfulActiveHealthCheckUnejectHost != nil && !*o.SuccessfulActiveHealthCheckUnejectHost},
	} {
		if u.set {
			return notSupported(path+"."+u.name, "")
		}
	}
	for _, p := range []struct {
		name string
		v    *uint32
	}{
		{"max_ejection_percent", o.MaxEjectionPercent},
		{"enforcing_consecutive_5xx", o.EnforcingConsecutive5xx},
		{"enforcing_consecutive_gateway_failure", o.EnforcingConsecutiveGatewayFailure},
	} {
		if p.v != nil && *p.v > 100 {
			return fieldErr(path+"."+p.name, "%d is above 100 (percent)", *p.v)
		}
	}
	for _, d := range []struct {
		name string
		v    *Duration
	}{
		{"interval", o.Interval},
		{"base_ejection_time", o.BaseEjectionTime},
		{"max_ejection_time", o.MaxEjectionTime},
	} {
		if d.v != nil && d.v.Duration <= 0 {
			return fieldErr(path+"."+d.name, "must be positive, got %s", d.v)
		}
	}
	return nil
}

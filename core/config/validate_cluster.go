package config

// Cluster types and load balancers MOSN knows, and the ones implemented.
var (
	mosnClusterTypes = []string{"SIMPLE", "STATIC", "DYNAMIC", "EDS", "ORIGINAL_DST", "STRICT_DNS"}
	mosnLbTypes      = []string{
		"LB_ROUNDROBIN", "LB_RANDOM", "LB_WEIGHTED_ROUNDROBIN", "LB_LEAST_REQUEST",
		"LB_LEAST_CONNECTION", "LB_MAGLEV", "LB_ORIGINAL_DST", "LB_REQUEST_ROUNDROBIN", "LB_PEAKEWMA",
	}
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
		if err := cluster(&cm.Clusters[i], indexPath(path+".clusters", i)); err != nil {
			return err
		}
	}
	return nil
}

func cluster(c *ClusterConfig, path string) error {
	switch c.Type {
	case "":
		c.Type = "SIMPLE"
	case "SIMPLE":
	default:
		if contains(mosnClusterTypes, c.Type) {
			return notSupportedf(path+".type", "cluster type %q", c.Type)
		}
		return unknownValue(path+".type", "cluster type", c.Type, mosnClusterTypes)
	}
	switch c.LbType {
	case "":
		c.LbType = "LB_ROUNDROBIN"
	case "LB_ROUNDROBIN", "LB_RANDOM":
	default:
		if contains(mosnLbTypes, c.LbType) {
			return notSupportedf(path+".lb_type", "load balancer %q", c.LbType)
		}
		return unknownValue(path+".lb_type", "load balancer", c.LbType, mosnLbTypes)
	}
	if err := clusterUnsupported(c, path); err != nil {
		return err
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
	for i := range c.Hosts {
		if err := host(&c.Hosts[i], indexPath(path+".hosts", i)); err != nil {
			return err
		}
	}
	return nil
}

func clusterUnsupported(c *ClusterConfig, path string) error {
	switch {
	case c.SubType != "":
		return notSupported(path+".sub_type", "")
	case !rawIsZero(c.HealthCheck):
		return notSupported(path+".health_check", "health checking")
	case !rawIsZero(c.Spec):
		return notSupported(path+".spec", "service subscription")
	case !rawIsZero(c.LBSubsetConfig):
		return notSupported(path+".lb_subset_config", "subset load balancing")
	case !rawIsZero(c.LBOriDstConfig):
		return notSupported(path+".original_dst_lb_config", "")
	case c.ClusterManagerTLS:
		return notSupported(path+".cluster_manager_tls", "TLS")
	case c.TLSContext != nil && c.TLSContext.Status:
		return notSupported(path+".tls_context", "TLS")
	case c.IdleTimeout != nil:
		return notSupported(path+".idle_timeout", "")
	case !rawIsZero(c.LbConfig):
		return notSupported(path+".lbconfig", "")
	case c.DNSRefreshRate != nil:
		return notSupported(path+".dns_refresh_rate", "DNS")
	case c.RespectDNSTTL:
		return notSupported(path+".respect_dns_ttl", "DNS")
	case c.DNSLookupFamily != "":
		return notSupported(path+".dns_lookup_family", "DNS")
	case !rawIsZero(c.DNSResolvers):
		return notSupported(path+".dns_resolvers", "DNS")
	case c.DNSResolverFile != "":
		return notSupported(path+".dns_resolver_file", "DNS")
	case c.DNSResolverPort != "":
		return notSupported(path+".dns_resolver_port", "DNS")
	case !rawIsZero(c.SlowStart):
		return notSupported(path+".slow_start", "slow start")
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

func host(h *HostConfig, path string) error {
	if h.Address == "" {
		return fieldErr(path+".address", "required")
	}
	if _, _, err := checkAddr(h.Address, 1); err != nil {
		return causeErr(path+".address", err, "invalid address %q: %v", h.Address, err)
	}
	switch {
	case h.Weight == 0:
		h.Weight = MinHostWeight
	case h.Weight > MaxHostWeight:
		return fieldErr(path+".weight", "weight %d is above the maximum %d", h.Weight, MaxHostWeight)
	}
	if !rawIsZero(h.Metadata) {
		return notSupported(path+".metadata", "host metadata")
	}
	return nil
}

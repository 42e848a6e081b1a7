package config

import (
	"slices"
	"strings"
)

// RetryOnConditions are Envoy's retry_on conditions a retry policy may
// name (HTTP ones; "refused-stream" applies once HTTP/2 upstreams do).
var RetryOnConditions = []string{"5xx", "gateway-error", "reset", "connect-failure", "retriable-4xx", "refused-stream", "retriable-status-codes"}

func retryPolicy(rp *RetryPolicy, path string) error {
	if rp == nil {
		return nil
	}
	if rp.RetryOn != "" && rp.RetryOn != RetryOnMOSN {
		for _, c := range strings.Split(string(rp.RetryOn), ",") {
			c = strings.TrimSpace(c)
			if !slices.Contains(RetryOnConditions, c) {
				return fieldErr(path+".retry_on", "unknown retry condition %q (true, or a list of %s)%s", c, strings.Join(RetryOnConditions, ", "), suggest(c, RetryOnConditions))
			}
		}
	}
	if rp.RetryTimeout.Duration < 0 {
		return fieldErr(path+".retry_timeout", "must not be negative, got %s", rp.RetryTimeout)
	}
	for i, c := range rp.StatusCodes {
		if c < 100 || c > 599 {
			return fieldErr(indexPath(path+".status_codes", i), "status %d is not from 100 to 599", c)
		}
	}
	return nil
}

func hashPolicy(hp *HashPolicy, path string) error {
	n := 0
	for _, set := range []bool{hp.Header != nil, hp.HTTPCookie != nil, hp.SourceIP != nil} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return fieldErr(path, "exactly one of header, http_cookie and source_ip is required")
	case hp.Header != nil:
		if err := checkHeaderName(hp.Header.Key); err != nil {
			return fieldErr(path+".header.key", "%v", err)
		}
	case hp.HTTPCookie != nil:
		if hp.HTTPCookie.Name == "" {
			return fieldErr(path+".http_cookie.name", "required")
		}
	}
	return nil
}

// metadataMatch checks host metadata or a route's metadata_match and
// fills in its LB map
// from filter_metadata["mosn.lb"].
func metadataMatch(md *HostMetadata, path string) error {
	if md == nil {
		return nil
	}
	md.LB = nil
	raw, ok := md.FilterMetadata["mosn.lb"]
	if !ok {
		return nil
	}
	var lb map[string]string
	if _, err := decodeRawJSON(raw, &lb, path+`.filter_metadata["mosn.lb"]`); err != nil {
		return err
	}
	md.LB = lb
	return nil
}

func variableMatcher(vm *VariableMatcher, path string) error {
	switch {
	case vm.Name == "":
		return fieldErr(path+".name", "required")
	case vm.Value != nil && vm.Regex != nil:
		return fieldErr(path, "value and regex are mutually exclusive")
	case vm.Model != "" && !strings.EqualFold(vm.Model, "and") && !strings.EqualFold(vm.Model, "or"):
		return fieldErr(path+".model", "unknown model %q (and, or)", vm.Model)
	}
	if vm.Regex != nil {
		return checkRegex(*vm.Regex, path+".regex")
	}
	return nil
}

package main

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// templateVar matches a {placeholder} in an -extra command template.
var templateVar = regexp.MustCompile(`\{[a-z_]+\}`)

// expandTemplate fills an -extra command template. Placeholders:
//
//	{listen}        127.0.0.1:PORT the proxy must listen on (HTTP/1)
//	{listen_port}   PORT alone
//	{upstream}      127.0.0.1:PORT of the HTTP/1 origin
//	{upstream_port} PORT alone
//	{dir}           a directory of the proxy's own for files it writes
//
// An unknown placeholder is an error; the template must use {listen}
// or {listen_port}, or the proxy could not be reached.
func expandTemplate(tmpl string, c proxyConfig) (string, error) {
	listen, up := c.Listen[FeatHTTP1], c.Up.HTTP1
	_, lport, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("extra: listen address %q: %w", listen, err)
	}
	_, uport, err := net.SplitHostPort(up)
	if err != nil {
		return "", fmt.Errorf("extra: upstream address %q: %w", up, err)
	}
	vars := map[string]string{
		"{listen}": listen, "{listen_port}": lport,
		"{upstream}": up, "{upstream_port}": uport,
		"{dir}": c.Dir,
	}
	var bad []string
	out := templateVar.ReplaceAllStringFunc(tmpl, func(v string) string {
		if s, ok := vars[v]; ok {
			return s
		}
		bad = append(bad, v)
		return v
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("extra: unknown placeholder %s in %q (known: {listen}, {listen_port}, {upstream}, {upstream_port}, {dir})", strings.Join(bad, ", "), tmpl)
	}
	if !strings.Contains(tmpl, "{listen}") && !strings.Contains(tmpl, "{listen_port}") {
		return "", fmt.Errorf("extra: template %q uses neither {listen} nor {listen_port}", tmpl)
	}
	return out, nil
}

package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSubcommandUsage checks that the hidden subcommands refuse bad
// arguments with exit code 2 and a message, before touching the network.
func TestSubcommandUsage(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"origin", "-mode", "http3"}, `unknown mode "http3"`},
		{[]string{"origin", "-sizes", "x"}, "-sizes: bad size"},
		{[]string{"load", "-url", "https://127.0.0.1:1/"}, "want an http:// URL"},
		{[]string{"load", "-url", "http://127.0.0.1:1/", "-rate", "0"}, "must be positive"},
		{[]string{"grpcload"}, "-addr required"},
		{[]string{"tcpload", "-addr", "127.0.0.1:1", "-conns", "0"}, "must be positive"},
		{[]string{"tlsload", "-addr", "127.0.0.1:1"}, "-addr and -ca required"},
		{[]string{"idle", "-conns", "5"}, "-addr required"},
		{[]string{"load", "-nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q, want containing %q", stderr.String(), tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

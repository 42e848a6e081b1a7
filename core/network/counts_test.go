package network

import (
	"context"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

func TestConnCounts(t *testing.T) {
	ln := serve(t, ListenerOptions{Filters: []api.NetworkFilterChainFactory{factoryFunc(func(ctx context.Context, fm api.FilterManager) {
		fm.AddReadFilter(&lineServer{})
	})}})
	a, b := dial(t, ln), dial(t, ln)
	waitCounts(t, ln, 2, 0)
	a.Close()
	waitCounts(t, ln, 2, 1)
	b.Close()
	waitCounts(t, ln, 2, 2)
}

func waitCounts(t *testing.T, ln *Listener, opened, closed uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		o, c := ln.ConnCounts()
		if o == opened && c == closed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts %d/%d, want %d/%d", o, c, opened, closed)
		}
		time.Sleep(time.Millisecond)
	}
}

package xds

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// scripted is a protocol whose stream ends at once; it records requests.
type scripted struct{ calls []string }

func (s *scripted) subscribe(t string) error {
	s.calls = append(s.calls, "subscribe "+shortType(t))
	return nil
}
func (s *scripted) resubscribe(t string) error {
	s.calls = append(s.calls, "resubscribe "+shortType(t))
	return nil
}
func (s *scripted) recv() (any, error)         { return nil, errors.New("stream ended") }
func (s *scripted) handle(any) (string, error) { return "", nil }

// A stream after one that reached LDS subscribes to every type at once:
// a server that has nothing new for the versions the client reports
// sends no CDS response, and LDS/RDS would never be requested again.
func TestNewStreamResubscribesAll(t *testing.T) {
	c := &Client{o: Options{Controller: NewController(ControllerOptions{Target: newConfigTarget(t)})}}
	first := &scripted{}
	c.loop(context.Background(), first)
	if got := strings.Join(first.calls, ","); got != "subscribe cds" {
		t.Fatalf("first stream: %s", got)
	}
	c.resumed = true
	next := &scripted{}
	c.loop(context.Background(), next)
	got := strings.Join(next.calls, ",")
	for _, want := range []string{"subscribe cds", "resubscribe eds", "subscribe lds", "resubscribe rds"} {
		if !strings.Contains(got, want) {
			t.Errorf("resumed stream: %s, want %s", got, want)
		}
	}
	if !strings.HasPrefix(got, "subscribe cds") {
		t.Errorf("resumed stream must start with CDS (it carries the node): %s", got)
	}
}

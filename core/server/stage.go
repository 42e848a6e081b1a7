package server

import "sync/atomic"

// Stage is a server's lifecycle state, as MOSN's stage manager reports it
// on /api/v1/states.
type Stage int32

// Stages in the order a server passes through them.
const (
	Initing Stage = iota
	Starting
	Running
	Upgrading
	GracefulStopping
	Stopped
)

// String names the stage.
func (s Stage) String() string {
	switch s {
	case Initing:
		return "initing"
	case Starting:
		return "starting"
	case Running:
		return "running"
	case Upgrading:
		return "upgrading"
	case GracefulStopping:
		return "graceful_stopping"
	case Stopped:
		return "stopped"
	}
	return "unknown"
}

type stage struct{ v atomic.Int32 }

func (s *stage) set(v Stage) { s.v.Store(int32(v)) }
func (s *stage) get() Stage  { return Stage(s.v.Load()) }

//go:build race

package tcpproxy_test

// raceEnabled: the race detector makes sync.Pool drop items on purpose, so
// allocation budgets are checked only without it (the README's test
// command runs the Alloc tests a second time without -race).
const raceEnabled = true

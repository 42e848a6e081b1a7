//go:build race

package router

// raceEnabled: the race detector makes sync.Pool drop items on purpose,
// and regexp keeps its matchers in one, so allocation budgets that
// include regex matching are checked only without -race (the README's
// test command runs the Alloc tests a second time without it).
const raceEnabled = true

//go:build race

package buffer

// raceEnabled reports that the race detector is on. sync.Pool then drops a
// random quarter of Puts on purpose, so allocation counts are meaningless.
const raceEnabled = true

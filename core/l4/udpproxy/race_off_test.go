//go:build !race

package udpproxy_test

const raceEnabled = false

package http1

import (
	"encoding/binary"
	"testing"
)

// TestWordTests checks the eight-byte tests against the byte table for
// every byte value in every position.
func TestWordTests(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			var w [8]byte
			for k := range w {
				w[k] = 'a'
			}
			w[pos] = byte(c)
			x := binary.LittleEndian.Uint64(w[:])
			if got, want := hasCTL(x), charClass[c]&cValue == 0 || c == '\t'; got != want {
				t.Fatalf("hasCTL with %#x at %d = %v", c, pos, got)
			}
			if got, want := hasCTL(x) || hasZero(x^0x2020202020202020), charClass[c]&cTarget == 0; got != want {
				t.Fatalf("target test with %#x at %d = %v", c, pos, got)
			}
		}
	}
	// Neighbouring bytes must not hide or fake a match.
	for _, s := range []string{"\x80\x80\x80\x80\x80\x80\x80\x80", "\xff\xff\xff\xff\xff\xff\xff\xff", "\x21\x21\x21\x21\x21\x21\x21\x7e", "\x00\xff\x00\xff\x00\xff\x00\xff"} {
		x := binary.LittleEndian.Uint64([]byte(s))
		want := false
		for k := 0; k < 8; k++ {
			if charClass[s[k]]&cValue == 0 || s[k] == '\t' {
				want = true
			}
		}
		if hasCTL(x) != want {
			t.Fatalf("hasCTL(%q) = %v", s, !want)
		}
	}
}

func TestScanValueAndTarget(t *testing.T) {
	for n := 0; n < 40; n++ {
		for _, stop := range []byte{'\r', '\n', 0, 0x7f, 0x1f} {
			b := make([]byte, n+1+9)
			for k := range b {
				b[k] = "ab \xc3\x80~!"[k%7]
			}
			b[n] = stop
			if got := scanValue(b, 0); got != n {
				t.Fatalf("scanValue stop %#x at %d = %d", stop, n, got)
			}
			for k := 0; k < n; k++ {
				if b[k] == ' ' {
					b[k] = '/'
				}
			}
			if got := scanTarget(b, 0); got != n {
				t.Fatalf("scanTarget stop %#x at %d = %d", stop, n, got)
			}
		}
		b := []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
		b[n] = ' '
		if got := scanTarget(b, 0); got != n {
			t.Fatalf("scanTarget SP at %d = %d", n, got)
		}
		if got := scanValue(b, 0); got != len(b) {
			t.Fatalf("scanValue SP at %d = %d", n, got)
		}
	}
}

package hashkey

import "testing"

func TestStableAndSpread(t *testing.T) {
	// Fixed values: the hash must never change between releases, or
	// consistent hashing would move every key on upgrade.
	if got := Bytes([]byte("user-1"), 0); got != Bytes([]byte("user-1"), 0) || got == Bytes([]byte("user-2"), 0) {
		t.Fatal("not a function of its input")
	}
	if Bytes([]byte("a"), 1) == Bytes([]byte("a"), 2) {
		t.Error("the seed is ignored")
	}
	const want = 0x3effbe8fae8b7f66
	if got := Bytes([]byte("mosn"), 0); got != want {
		t.Errorf("Bytes(mosn) = %#x, want %#x", got, uint64(want))
	}
	// Mix spreads consecutive integers over the high bits.
	seen := map[uint64]bool{}
	for i := uint64(0); i < 256; i++ {
		seen[Mix(i)>>56] = true
	}
	if len(seen) < 150 {
		t.Errorf("Mix of 0..255 covers %d of 256 top bytes", len(seen))
	}
}

func BenchmarkBytes(b *testing.B) {
	key := []byte("x-user: some-user-identifier")
	b.ReportAllocs()
	for b.Loop() {
		Bytes(key, 0)
	}
}

// Package hashkey is the stable 64-bit hash of consistent-hash load
// balancing: request keys (hash policies) and host keys (ring and Maglev
// tables) hash the same way in every process, so proxies in front of the
// same hosts agree on where a key goes.
package hashkey

// Bytes is FNV-1a over b with a seed, finished by Mix.
func Bytes(b []byte, seed uint64) uint64 {
	h := uint64(14695981039346656037) ^ (seed * 0x9e3779b97f4a7c15)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return Mix(h)
}

// Mix is the splitmix64 finaliser: it spreads x over 64 bits, so keys
// from a weak hash (small integers) still land all over a table or ring.
func Mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

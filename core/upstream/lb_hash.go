package upstream

import (
	"github.com/seed405ffdea/mosn/pkg/hashkey"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/seed405ffdea/mosn/api"
)

// Consistent-hash balancers map the request's api.LBContext.HashKey onto
// hosts so that a key keeps its host while the host set changes little:
// removing one host of n moves only about 1/n of the keys. A zero key (no
// hash policy) picks a host at random. Hosts are identified by address.

// hash64 and mix64 are the stable hash of host and request keys.
func hash64(b []byte, seed uint64) uint64 { return hashkey.Bytes(b, seed) }

func mix64(x uint64) uint64 { return hashkey.Mix(x) }

// MaglevTableSize is the size of a Maglev lookup table, a prime (Envoy's
// default): each of up to MaglevTableSize-1 hosts gets a share of its
// entries in proportion to its weight.
const MaglevTableSize = 65537

// maglevLB is LB_MAGLEV: Google's Maglev hashing with Envoy's weighted
// table build.
type maglevLB struct {
	hosts []*Host
	table []uint16 // host index per entry; nil when there are no hosts
}

func newMaglev(hs api.HostSet) api.LoadBalancer {
	hosts := asHostSet(hs).typed
	// A table of M entries holds at most M hosts; uint16 indices hold
	// 65536. Beyond that the extra hosts get no traffic.
	if len(hosts) > math.MaxUint16+1 {
		hosts = hosts[:math.MaxUint16+1]
	}
	lb := &maglevLB{hosts: hosts}
	if len(hosts) == 0 {
		return lb
	}
	type entry struct {
		offset, skip, next uint64
		weight, target     float64
	}
	const m = MaglevTableSize
	entries := make([]entry, len(hosts))
	var maxW float64
	for i, h := range hosts {
		b := []byte(h.address)
		entries[i] = entry{
			offset: hash64(b, 0) % m,
			skip:   hash64(b, 1)%(m-1) + 1,
			weight: float64(h.weight),
		}
		maxW = max(maxW, float64(h.weight))
	}
	const empty = math.MaxUint32
	table := make([]uint32, m)
	for i := range table {
		table[i] = empty
	}
	filled := 0
	for iteration := 1; filled < m; iteration++ {
		for i := range entries {
			if filled == m {
				break
			}
			e := &entries[i]
			// A host of the largest weight takes a slot every round; one of
			// a third of it every third round.
			if float64(iteration)*e.weight < e.target {
				continue
			}
			e.target += maxW
			c := (e.offset + e.skip*e.next) % m
			for table[c] != empty {
				e.next++
				c = (e.offset + e.skip*e.next) % m
			}
			table[c] = uint32(i)
			e.next++
			filled++
		}
	}
	lb.table = make([]uint16, m)
	for i, v := range table {
		lb.table[i] = uint16(v)
	}
	return lb
}

// ChooseHost implements api.LoadBalancer.
func (lb *maglevLB) ChooseHost(ctx api.LBContext) api.HostInfo {
	if lb.table == nil {
		return nil
	}
	k := hashKey(ctx)
	if k == 0 {
		return randomHost(lb.hosts)
	}
	return lb.hosts[lb.table[mix64(k)%MaglevTableSize]]
}

// ringHashLB is RING_HASH: Envoy's ketama-style ring. Each host gets
// points "address_i" on a ring of at least minimum_ring_size points in
// proportion to its weight; a key goes to the first point at or after it.
type ringHashLB struct {
	hosts []*Host
	ring  []ringPoint
}

type ringPoint struct {
	hash uint64
	host uint32
}

func newRingHash(hs api.HostSet) api.LoadBalancer {
	s := asHostSet(hs)
	lb := &ringHashLB{hosts: s.typed}
	if len(lb.hosts) == 0 {
		return lb
	}
	var total float64
	for _, h := range lb.hosts {
		total += float64(h.weight)
	}
	minNorm := math.Inf(1)
	for _, h := range lb.hosts {
		minNorm = min(minNorm, float64(h.weight)/total)
	}
	// As Envoy, the lightest host gets a whole number of points and the
	// ring at least minimum_ring_size of them (at most maximum_ring_size).
	// Unlike Envoy, that number is rounded up to a power of two: so it
	// stays the same when a host joins or leaves, and the points of the
	// other hosts do not move (Envoy's 10 hosts get 103 points each, 9
	// get 114, and a removal moves ~16% of keys instead of ~10%).
	lightest := uint64(math.Ceil(minNorm * float64(s.cfg.minRing)))
	lightest = 1 << bits.Len64(lightest-1)
	scale := min(float64(lightest)/minNorm, float64(s.cfg.maxRing))
	lb.ring = make([]ringPoint, 0, int(math.Ceil(scale)))
	var current, target float64
	var key []byte
	for i, h := range lb.hosts {
		target += scale * float64(h.weight) / total
		key = append(key[:0], h.address...)
		key = append(key, '_')
		prefix := len(key)
		for j := 0; current < target; j++ {
			key = strconv.AppendInt(key[:prefix], int64(j), 10)
			lb.ring = append(lb.ring, ringPoint{hash: hash64(key, 0), host: uint32(i)})
			current++
		}
	}
	slices.SortFunc(lb.ring, func(a, b ringPoint) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return int(a.host) - int(b.host)
	})
	return lb
}

// ChooseHost implements api.LoadBalancer.
func (lb *ringHashLB) ChooseHost(ctx api.LBContext) api.HostInfo {
	if len(lb.ring) == 0 {
		return nil
	}
	k := hashKey(ctx)
	if k == 0 {
		return randomHost(lb.hosts)
	}
	k = mix64(k)
	lo, hi := 0, len(lb.ring)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if lb.ring[mid].hash < k {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(lb.ring) {
		lo = 0
	}
	return lb.hosts[lb.ring[lo].host]
}

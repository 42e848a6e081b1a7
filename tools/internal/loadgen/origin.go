package loadgen

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSizes parses a comma-separated list of body sizes.
func ParseSizes(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 || n > 16<<20 {
			return nil, fmt.Errorf("-sizes: bad size %q (0 to 16 MiB)", p)
		}
		out = append(out, n)
	}
	return out, nil
}

// sizeForPath returns the body size a path asks for: "/N" (optionally
// followed by a query) selects N when N is one of sizes, anything else the
// first size.
func sizeForPath(path string, sizes []int) int {
	p := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if n, err := strconv.Atoi(p); err == nil {
		for _, s := range sizes {
			if s == n {
				return n
			}
		}
	}
	return sizes[0]
}

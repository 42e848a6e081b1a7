package router

import "sort"

// routeIndex finds the first route of a virtual host that matches,
// without trying every route: routes whose path condition is a
// case-sensitive exact path sit in a map, those with a case-sensitive
// prefix in a radix tree, and only the rest (regex, case-insensitive)
// are tried one by one. Each candidate list is in route order, and a
// list is read only up to the best route found so far, so the first
// matching route in configuration order wins, as in MOSN and Envoy.
type routeIndex struct {
	exact map[string][]int32
	root  trieNode // prefix routes; the root holds routes without a path condition
	other []int32
}

// trieNode is a radix tree node: the path bytes on the edge into it, the
// routes whose prefix ends here, and the children by first byte.
type trieNode struct {
	label  string
	routes []int32
	first  []byte // first byte of each child's label, sorted
	kids   []*trieNode
}

func (ix *routeIndex) add(i int32, m *matcher) {
	switch {
	case m.kind == pathAny:
		ix.root.routes = append(ix.root.routes, i)
	case m.kind == pathPrefix && !m.fold:
		ix.root.insert(m.pattern, i)
	case m.kind == pathExact && !m.fold:
		if ix.exact == nil {
			ix.exact = map[string][]int32{}
		}
		ix.exact[m.pattern] = append(ix.exact[m.pattern], i)
	default:
		ix.other = append(ix.other, i)
	}
}

func (n *trieNode) child(c byte) (int, bool) {
	j := sort.Search(len(n.first), func(k int) bool { return n.first[k] >= c })
	return j, j < len(n.first) && n.first[j] == c
}

// insert adds route i under key; routes are added in order, so each
// node's list stays sorted.
func (n *trieNode) insert(key string, i int32) {
	for key != "" {
		j, ok := n.child(key[0])
		if !ok {
			n.first = append(n.first, 0)
			copy(n.first[j+1:], n.first[j:])
			n.first[j] = key[0]
			n.kids = append(n.kids, nil)
			copy(n.kids[j+1:], n.kids[j:])
			n.kids[j] = &trieNode{label: key, routes: []int32{i}}
			return
		}
		k := n.kids[j]
		common := 0
		for common < len(key) && common < len(k.label) && key[common] == k.label[common] {
			common++
		}
		if common < len(k.label) {
			// Split the edge: a new node for the shared part.
			mid := &trieNode{label: k.label[:common], first: []byte{k.label[common]}, kids: []*trieNode{k}}
			k.label = k.label[common:]
			n.kids[j] = mid
			k = mid
		}
		key = key[common:]
		n = k
	}
	n.routes = append(n.routes, i)
}

// find returns the first route, in configuration order, that matches v.
func (ix *routeIndex) find(routes []*Route, v *view) *Route {
	best := int32(len(routes))
	if len(ix.exact) > 0 {
		if l, ok := ix.exact[string(v.path)]; ok {
			best = scan(l, best, routes, v, false)
		}
	}
	n := &ix.root
	best = scan(n.routes, best, routes, v, false)
	rest := v.path
	for len(rest) > 0 && len(n.kids) > 0 {
		j, ok := n.child(rest[0])
		if !ok {
			break
		}
		k := n.kids[j]
		if len(rest) < len(k.label) || string(rest[:len(k.label)]) != k.label {
			break
		}
		rest = rest[len(k.label):]
		n = k
		best = scan(n.routes, best, routes, v, false)
	}
	best = scan(ix.other, best, routes, v, true)
	if int(best) < len(routes) {
		return routes[best]
	}
	return nil
}

// scan returns the first route of list before best that matches v
// (checking the path too when checkPath), or best.
func scan(list []int32, best int32, routes []*Route, v *view, checkPath bool) int32 {
	for _, i := range list {
		if i >= best {
			break
		}
		m := &routes[i].m
		if checkPath && !m.matchPath(v.path) {
			continue
		}
		if m.matchRest(v) {
			return i
		}
	}
	return best
}

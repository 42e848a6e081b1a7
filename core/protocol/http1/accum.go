package http1

// HeadAccumulator gathers a head that arrives in pieces (writes of any
// size), for a parser that wants the whole head in one slice:
//
//	data := acc.Data(b)
//	hl, err := ParseResponse(data, &head, limits)
//	if hl == 0 { acc.More(b); return len(b) } // need more
//	used := acc.Done(b, hl)                  // bytes of b in the head
//
// The parsed head points into b or into the accumulator; it is valid
// until the next Data.
type HeadAccumulator struct{ buf []byte }

// Data returns b when nothing accumulated, else the accumulated bytes
// followed by b.
func (a *HeadAccumulator) Data(b []byte) []byte {
	if len(a.buf) == 0 {
		return b
	}
	a.buf = append(a.buf, b...)
	return a.buf
}

// More keeps b for the next Data, the head being incomplete.
func (a *HeadAccumulator) More(b []byte) {
	if len(a.buf) == 0 {
		a.buf = append(a.buf, b...)
	}
}

// Done returns how many bytes of b the head of length hl took, and starts
// over.
func (a *HeadAccumulator) Done(b []byte, hl int) int {
	before := 0
	if len(a.buf) > 0 {
		before = len(a.buf) - len(b)
	}
	a.buf = a.buf[:0]
	return hl - before
}

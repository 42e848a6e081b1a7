package network

// WriteFiltered reports whether write filters see what is written with
// Write; a ConnectionServer that writes to RawConn directly (splice) must
// use Write instead when they do.
func (c *Conn) WriteFiltered() bool { return len(c.writeFilters) > 0 }

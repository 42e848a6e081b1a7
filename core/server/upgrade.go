package server

import "net"

// takeInherited returns the inherited socket named name if it was bound
// to the same network and address, removing it from the set; nil means
// bind anew.
func (s *Server) takeInherited(name string) net.Listener {
	ln := s.inherited[name]
	if ln != nil {
		delete(s.inherited, name)
	}
	return ln
}

// closeInherited closes the inherited sockets New did not use (the new
// config dropped or moved them).
func (s *Server) closeInherited() {
	for name, ln := range s.inherited {
		ln.Close()
		delete(s.inherited, name)
	}
}

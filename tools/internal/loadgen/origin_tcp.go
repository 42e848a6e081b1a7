package loadgen

import (
	"io"
	"net"
)

// ServeTCP accepts connections on ln until it is closed. A sink reads and
// discards everything; an echo writes every byte back.
func ServeTCP(ln net.Listener, echo bool) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			if echo {
				io.Copy(c, c)
				return
			}
			buf := make([]byte, 256<<10)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
	}
}

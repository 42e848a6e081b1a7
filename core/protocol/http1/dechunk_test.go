package http1

import (
	"bytes"
	"strings"
	"testing"
)

type collect struct {
	data bytes.Buffer
	ends int
}

func (c *collect) write(p []byte) error {
	c.data.Write(p)
	return nil
}

func TestDechunker(t *testing.T) {
	cases := []struct {
		name, in, data, trailers string
		ok                       bool
	}{
		{"plain", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "", true},
		{"extension and trailers", "3;x=y\r\nabc\r\n0\r\nX-Sum: 1\r\nConnection: z\r\nGrpc-Status:  0 \r\n\r\n", "abc", "x-sum=1,grpc-status=0,", true},
		{"upper hex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", "", true},
		{"bad size", "g\r\n", "", "", false},
		{"missing CRLF after data", "1\r\naXY\r\n", "a", "", false},
		{"trailer without colon", "0\r\nbad\r\n\r\n", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Every split of the input gives the same result.
			for split := 0; split <= len(c.in); split++ {
				var d Dechunker
				var out collect
				n1, done, err := d.Feed([]byte(c.in[:split]), out.write)
				if err == nil && !done {
					var n2 int
					n2, done, err = d.Feed([]byte(c.in[split:]), out.write)
					n1 += n2
				}
				if c.ok != (err == nil && done) {
					t.Fatalf("split %d: done %v err %v", split, done, err)
				}
				if !c.ok {
					continue
				}
				if n1 != len(c.in) || out.data.String() != c.data {
					t.Fatalf("split %d: used %d, data %q", split, n1, out.data.String())
				}
				var tr strings.Builder
				for _, f := range d.Trailers {
					tr.WriteString(f.Name + "=" + f.Value + ",")
				}
				if tr.String() != c.trailers {
					t.Fatalf("trailers %q, want %q", tr.String(), c.trailers)
				}
			}
		})
	}
}

// FuzzDechunker: the decoder never panics, never uses more bytes than
// given, and never returns more data than the input holds.
func FuzzDechunker(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\nA: b\r\n\r\n"), 3)
	f.Add([]byte("ffffffffffffffff\r\n"), 1)
	f.Add([]byte("1;ext\r\nx\r\n0\r\n\r\nextra"), 9)
	f.Fuzz(func(t *testing.T, in []byte, split int) {
		if split < 0 || split > len(in) {
			split = len(in) / 2
		}
		var d Dechunker
		var out collect
		n, done, err := d.Feed(in[:split], out.write)
		if err == nil && !done {
			var m int
			m, done, err = d.Feed(in[split:], out.write)
			n += m
		}
		if n > len(in) || out.data.Len() > len(in) {
			t.Fatalf("used %d, data %d of %d bytes", n, out.data.Len(), len(in))
		}
	})
}

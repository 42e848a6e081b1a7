package http1

import (
	"errors"
	"strings"
	"testing"
)

// scanAll feeds in to a fresh scanner in pieces of at most step bytes
// (step <= 0: all at once) and returns the body length, the decoded data,
// and the error.
func scanAll(in []byte, step int, lim Limits, resp bool) (n int, done bool, data string, err error) {
	s := ChunkedScanner{Limits: lim, Response: resp}
	var sb strings.Builder
	collect := func(p []byte) { sb.Write(p) }
	for off := 0; off < len(in); {
		end := len(in)
		if step > 0 && off+step < end {
			end = off + step
		}
		k, d, e := s.ScanData(in[off:end], collect)
		if e != nil {
			return 0, false, sb.String(), e
		}
		n += k
		if d {
			return n, true, sb.String(), nil
		}
		if k != end-off {
			return n, false, sb.String(), errors.New("scanner stopped short without done")
		}
		off = end
	}
	return n, false, sb.String(), nil
}

func TestChunkedGood(t *testing.T) {
	tests := []struct {
		name string
		body string
		data string
	}{
		{"simple", "5\r\nhello\r\n0\r\n\r\n", "hello"},
		{"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
		{"empty body", "0\r\n\r\n", ""},
		{"hex sizes", "A\r\n0123456789\r\n0a\r\nabcdefghij\r\n000\r\n\r\n", "0123456789abcdefghij"},
		{"extensions", "5;name=value;q=\"a b;c\"\r\nhello\r\n3 ; x\t;y\r\nabc\r\n0;last\r\n\r\n", "helloabc"},
		{"trailers", "3\r\nabc\r\n0\r\nX-Checksum: 123\r\nX-Other:\tv v \r\nEmpty:\r\n\r\n", "abc"},
		{"data with CRLF inside", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n"},
		{"2^62 chunk size is not an overflow", "4000000000000000\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantDone := !strings.HasPrefix(tt.name, "2^62")
			next := "GET / HTTP/1.1\r\n"
			in := []byte(tt.body + next)
			for _, step := range []int{0, 1, 2, 3, 7} {
				n, done, data, err := scanAll(in, step, Limits{}, false)
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				if !wantDone {
					if done || n != len(in) {
						t.Fatalf("step %d: n=%d done=%v", step, n, done)
					}
					continue
				}
				if !done || n != len(tt.body) || data != tt.data {
					t.Fatalf("step %d: n=%d done=%v data=%q; want %d true %q", step, n, done, data, len(tt.body), tt.data)
				}
			}
		})
	}
}

func TestChunkedBad(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		lim    Limits
		err    *Error
		status int
	}{
		{"not hex", "x\r\n", Limits{}, ErrInvalidChunkSize, 400},
		{"empty size", "\r\n", Limits{}, ErrInvalidChunkSize, 400},
		{"negative", "-5\r\n", Limits{}, ErrInvalidChunkSize, 400},
		{"0x prefix", "0x5\r\n", Limits{}, ErrInvalidChunkSize, 400},
		{"bare LF after size", "5\nhello\r\n", Limits{}, ErrBareLF, 400},
		{"bare LF as size", "\n", Limits{}, ErrBareLF, 400},
		{"bare CR after size", "5\rhello", Limits{}, ErrBareCR, 400},
		{"space then CRLF", "5 \r\nhello\r\n", Limits{}, ErrInvalidChunkSize, 400},
		{"space then junk", "5 x\r\n", Limits{}, ErrInvalidChunkSize, 400},
		{"space then bare LF", "5 \n", Limits{}, ErrBareLF, 400},
		{"17 hex digits", "00000000000000001\r\n", Limits{}, ErrChunkSizeOverflow, 400},
		{"above 2^62", "4000000000000001\r\n", Limits{}, ErrChunkSizeOverflow, 400},
		{"far above 2^62", "FFFFFFFFFFFFFFFF\r\n", Limits{}, ErrChunkSizeOverflow, 400},
		{"long chunk line", "5;" + strings.Repeat("a", 5000) + "\r\n", Limits{}, ErrChunkLineTooLong, 400},
		{"chunk line over custom limit", "5;abcdef\r\n", Limits{MaxChunkLineBytes: 8}, ErrChunkLineTooLong, 400},
		{"CTL in extension", "5;a\x01\r\n", Limits{}, ErrInvalidChunkExtension, 400},
		{"bare LF in extension", "5;a\nhello\r\n", Limits{}, ErrBareLF, 400},
		{"data too long", "5\r\nhelloX\r\n", Limits{}, ErrMissingChunkCRLF, 400},
		{"data then bare LF", "5\r\nhello\n0\r\n\r\n", Limits{}, ErrMissingChunkCRLF, 400},
		{"data then CR junk", "5\r\nhello\rX", Limits{}, ErrMissingChunkCRLF, 400},
		{"trailer obs-fold", "0\r\nX: a\r\n b\r\n\r\n", Limits{}, ErrObsFold, 400},
		{"trailer space before colon", "0\r\nX : a\r\n\r\n", Limits{}, ErrSpaceBeforeColon, 400},
		{"trailer empty name", "0\r\n: a\r\n\r\n", Limits{}, ErrEmptyHeaderName, 400},
		{"trailer bad name", "0\r\nX(: a\r\n\r\n", Limits{}, ErrInvalidHeaderName, 400},
		{"trailer bad first char", "0\r\n(X: a\r\n\r\n", Limits{}, ErrInvalidHeaderName, 400},
		{"trailer no colon", "0\r\nX\r\n\r\n", Limits{}, ErrInvalidHeaderName, 400},
		{"trailer CTL", "0\r\nX: a\x00\r\n\r\n", Limits{}, ErrInvalidHeaderValue, 400},
		{"trailer bare LF", "0\r\nX: a\n\r\n", Limits{}, ErrBareLF, 400},
		{"trailer bare CR", "0\r\nX: a\rb\r\n", Limits{}, ErrBareCR, 400},
		{"final bare LF", "0\r\n\n", Limits{}, ErrBareLF, 400},
		{"final bare CR", "0\r\n\rX", Limits{}, ErrBareCR, 400},
		{"trailer too large", "0\r\nX: " + strings.Repeat("a", 100) + "\r\n\r\n", Limits{MaxHeaderBytes: 64}, ErrTrailerTooLarge, 431},
		{"too many trailers", "0\r\nA: 1\r\nB: 2\r\n\r\n", Limits{MaxHeaders: 1}, ErrTooManyHeaders, 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, resp := range []bool{false, true} {
				for _, step := range []int{0, 1} {
					_, _, _, err := scanAll([]byte(tt.in), step, tt.lim, resp)
					if !errors.Is(err, tt.err) {
						t.Fatalf("resp=%v step=%d: err = %v, want %v", resp, step, err, tt.err)
					}
					want := tt.status
					if resp {
						want = 502
					}
					if got := err.(*Error).StatusCode(); got != want {
						t.Fatalf("resp=%v: status %d, want %d", resp, got, want)
					}
				}
			}
		})
	}
}

func TestChunkedStickyAndReset(t *testing.T) {
	var s ChunkedScanner
	if _, _, err := s.Scan([]byte("zz")); err != ErrInvalidChunkSize {
		t.Fatalf("err = %v", err)
	}
	if n, done, err := s.Scan([]byte("0\r\n\r\n")); n != 0 || done || err != ErrInvalidChunkSize {
		t.Fatalf("after error: %d %v %v", n, done, err)
	}
	s.Reset()
	if n, done, err := s.Scan([]byte("0\r\n\r\nrest")); n != 5 || !done || err != nil {
		t.Fatalf("after Reset: %d %v %v", n, done, err)
	}
	if !s.Done() {
		t.Fatal("Done() = false")
	}
	if n, done, err := s.Scan([]byte("rest")); n != 0 || !done || err != nil {
		t.Fatalf("after done: %d %v %v", n, done, err)
	}
	s.Reset()
	if _, done, err := s.Scan([]byte("3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n")); !done || err != nil || s.DataLen() != 19 {
		t.Fatalf("DataLen = %d (%v, %v), want 19", s.DataLen(), done, err)
	}
	s.Reset()
	if s.DataLen() != 0 {
		t.Fatal("Reset kept DataLen")
	}
}

func TestChunkedLimitBoundaries(t *testing.T) {
	// A chunk-size line of exactly MaxChunkLineBytes (CRLF included) passes.
	line := "5;" + strings.Repeat("a", 10) + "\r\n"
	in := []byte(line + "hello\r\n0\r\n\r\n")
	if _, done, _, err := scanAll(in, 1, Limits{MaxChunkLineBytes: len(line)}, false); !done || err != nil {
		t.Fatalf("line at the limit: %v %v", done, err)
	}
	if _, _, _, err := scanAll(in, 1, Limits{MaxChunkLineBytes: len(line) - 1}, false); err != ErrChunkLineTooLong {
		t.Fatalf("line over the limit: %v", err)
	}
	// A trailer section of exactly MaxHeaderBytes (final CRLF included) passes.
	trailer := "X: 1\r\nY: 2\r\n\r\n"
	in = []byte("0\r\n" + trailer)
	if _, done, _, err := scanAll(in, 0, Limits{MaxHeaderBytes: len(trailer), MaxHeaders: 2}, false); !done || err != nil {
		t.Fatalf("trailer at the limits: %v %v", done, err)
	}
	if _, _, _, err := scanAll(in, 0, Limits{MaxHeaderBytes: len(trailer) - 1}, false); err != ErrTrailerTooLarge {
		t.Fatalf("trailer over the limit: %v", err)
	}
}

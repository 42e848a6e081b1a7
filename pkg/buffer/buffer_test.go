package buffer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestBufferOps(t *testing.T) {
	type op func(b *Buffer)
	write := func(s string) op { return func(b *Buffer) { b.Write([]byte(s)) } }
	writeString := func(s string) op { return func(b *Buffer) { b.WriteString(s) } }
	drain := func(n int) op { return func(b *Buffer) { b.Drain(n) } }
	reset := func(b *Buffer) { b.Reset() }
	grow := func(n int) op { return func(b *Buffer) { b.Grow(n) } }

	tests := []struct {
		name string
		cap  int
		ops  []op
		want string
	}{
		{"empty", 0, nil, ""},
		{"write", 0, []op{write("hello")}, "hello"},
		{"write string", 4, []op{writeString("hello"), writeString(" world")}, "hello world"},
		{"drain part", 0, []op{write("hello"), drain(2)}, "llo"},
		{"drain all exact", 0, []op{write("hello"), drain(5)}, ""},
		{"drain more than len", 0, []op{write("hello"), drain(50)}, ""},
		{"drain negative", 0, []op{write("hello"), drain(-1)}, "hello"},
		{"drain zero", 0, []op{write("hello"), drain(0)}, "hello"},
		{"reset then write", 8, []op{write("hello"), reset, write("x")}, "x"},
		{"write after drain", 8, []op{write("abcdef"), drain(4), write("ghijk")}, "efghijk"},
		{"grow keeps data", 2, []op{write("ab"), drain(1), grow(1000), write("c")}, "bc"},
		{"grow negative", 2, []op{write("ab"), grow(-5)}, "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.cap)
			for _, o := range tt.ops {
				o(b)
			}
			if got := string(b.Bytes()); got != tt.want {
				t.Errorf("Bytes() = %q, want %q", got, tt.want)
			}
			if b.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", b.Len(), len(tt.want))
			}
		})
	}
}

func TestZeroValueBuffer(t *testing.T) {
	var b Buffer
	if b.Len() != 0 || len(b.Bytes()) != 0 {
		t.Fatalf("zero Buffer not empty: %q", b.Bytes())
	}
	b.Drain(3)
	b.WriteString("ok")
	if got := string(b.Bytes()); got != "ok" {
		t.Fatalf("Bytes() = %q, want %q", got, "ok")
	}
}

func TestResetKeepsCapacity(t *testing.T) {
	b := New(100)
	b.WriteString("hello")
	b.Reset()
	if b.Cap() != 100 {
		t.Fatalf("Cap() after Reset = %d, want 100", b.Cap())
	}
}

func TestGrow(t *testing.T) {
	tests := []struct {
		name      string
		cap       int
		write     int
		drain     int
		grow      int
		wantSame  bool // storage must be reused, not reallocated
		wantSpare int
	}{
		{"fits in spare", 64, 10, 0, 20, true, 54},
		{"reclaims drained prefix", 64, 60, 50, 40, true, 54},
		{"reallocates", 64, 60, 10, 40, false, 40},
		{"from empty", 0, 0, 0, 10, false, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.cap)
			data := bytes.Repeat([]byte{'x'}, tt.write)
			for i := range data {
				data[i] = byte('a' + i%26)
			}
			b.Write(data)
			b.Drain(tt.drain)
			before := b.Cap()
			var p0 *byte
			if before > 0 {
				p0 = &b.buf[:1][0]
			}
			b.Grow(tt.grow)
			if spare := b.Cap() - len(b.buf); spare < tt.wantSpare {
				t.Errorf("spare after Grow(%d) = %d, want >= %d", tt.grow, spare, tt.wantSpare)
			}
			same := p0 != nil && &b.buf[:1][0] == p0
			if same != tt.wantSame {
				t.Errorf("storage reused = %v, want %v", same, tt.wantSame)
			}
			if !bytes.Equal(b.Bytes(), data[tt.drain:]) {
				t.Errorf("unread bytes changed by Grow: %q, want %q", b.Bytes(), data[tt.drain:])
			}
			// Grow's promise: the next n bytes are written without reallocating.
			if tt.grow > 0 {
				p1 := &b.buf[:1][0]
				b.Write(make([]byte, tt.grow))
				if &b.buf[:1][0] != p1 {
					t.Errorf("Write of %d bytes after Grow(%d) reallocated", tt.grow, tt.grow)
				}
			}
		})
	}
}

func TestReadOnce(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name     string
		cap      int
		prefill  string
		r        io.Reader
		wantN    int
		wantErr  error
		wantData string
	}{
		{"reads into spare", 1024, "", strings.NewReader("hello"), 5, nil, "hello"},
		{"appends after existing", 1024, "ab", strings.NewReader("cd"), 2, nil, "abcd"},
		{"grows when full", 4, "abcd", strings.NewReader("efgh"), 4, nil, "abcdefgh"},
		{"grows from zero", 0, "", strings.NewReader("xyz"), 3, nil, "xyz"},
		{"eof", 1024, "ab", strings.NewReader(""), 0, io.EOF, "ab"},
		{"error with data", 1024, "", iotest.DataErrReader(strings.NewReader("q")), 1, io.EOF, "q"},
		{"error", 1024, "", iotest.ErrReader(errBoom), 0, errBoom, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.cap)
			b.WriteString(tt.prefill)
			n, err := b.ReadOnce(tt.r)
			if n != tt.wantN || !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadOnce() = %d, %v; want %d, %v", n, err, tt.wantN, tt.wantErr)
			}
			if got := string(b.Bytes()); got != tt.wantData {
				t.Errorf("Bytes() = %q, want %q", got, tt.wantData)
			}
		})
	}
}

// TestReadOnceSingleRead checks that ReadOnce calls Read exactly once even
// when more data is available.
func TestReadOnceSingleRead(t *testing.T) {
	b := New(4096)
	r := iotest.OneByteReader(strings.NewReader("abc"))
	if n, err := b.ReadOnce(r); n != 1 || err != nil {
		t.Fatalf("ReadOnce() = %d, %v; want 1, nil", n, err)
	}
}

func BenchmarkBufferWrite(b *testing.B) {
	p := make([]byte, 128)
	buf := New(4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if buf.Len() > 3500 {
			buf.Reset()
		}
		buf.Write(p)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { return len(p), nil }

func BenchmarkReadOnce(b *testing.B) {
	buf := New(16 << 10)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if _, err := buf.ReadOnce(zeroReader{}); err != nil {
			b.Fatal(err)
		}
	}
}

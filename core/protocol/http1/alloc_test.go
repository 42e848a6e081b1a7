package http1

import "testing"

const typicalChunked = "1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n" +
	"10\r\n0123456789abcdef\r\n" +
	"400\r\n" + "" // followed by 1 KiB of data, built in chunkedBody

func chunkedBody() []byte {
	b := []byte(typicalChunked)
	for i := 0; i < 0x400; i++ {
		b = append(b, 'x')
	}
	return append(b, "\r\n0\r\nX-Trailer: done\r\n\r\n"...)
}

func TestParseRequestNoAlloc(t *testing.T) {
	buf := []byte(typicalRequest)
	var h RequestHead
	if n, err := ParseRequest(buf, &h, Limits{}); n != len(buf) || err != nil || len(h.Headers) != 10 {
		t.Fatalf("ParseRequest = %d, %v, %d headers", n, err, len(h.Headers))
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if n, err := ParseRequest(buf, &h, Limits{}); n != len(buf) || err != nil {
			t.Fatal(n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ParseRequest allocates %.1f times per run", allocs)
	}
	// Errors are preallocated too.
	bad := []byte("GET / HTTP/1.1\r\nHost : a\r\n\r\n")
	if allocs := testing.AllocsPerRun(100, func() { _, _ = ParseRequest(bad, &h, Limits{}) }); allocs != 0 {
		t.Fatalf("ParseRequest error path allocates %.1f times per run", allocs)
	}
}

func TestParseResponseNoAlloc(t *testing.T) {
	buf := []byte(typicalResponse)
	var h ResponseHead
	if n, err := ParseResponse(buf, &h, Limits{}); n != len(buf) || err != nil || len(h.Headers) != 10 {
		t.Fatalf("ParseResponse = %d, %v, %d headers", n, err, len(h.Headers))
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if n, err := ParseResponse(buf, &h, Limits{}); n != len(buf) || err != nil {
			t.Fatal(n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ParseResponse allocates %.1f times per run", allocs)
	}
}

func TestChunkedScanNoAlloc(t *testing.T) {
	body := chunkedBody()
	var s ChunkedScanner
	total := 0
	allocs := testing.AllocsPerRun(1000, func() {
		s.Reset()
		// In three pieces, as reads might deliver it.
		a, b := body[:10], body[10:100]
		if _, _, err := s.Scan(a); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Scan(b); err != nil {
			t.Fatal(err)
		}
		n, done, err := s.ScanData(body[100:], func(p []byte) { total += len(p) })
		if err != nil || !done || n != len(body)-100 {
			t.Fatal(n, done, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ChunkedScanner allocates %.1f times per body", allocs)
	}
}

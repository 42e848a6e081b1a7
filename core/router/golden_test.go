package router

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

var update = flag.Bool("update", false, "rewrite testdata/decisions.golden")

// TestGolden loads a large MOSN configuration (testdata/large_router.json:
// 191 virtual hosts with exact, port, suffix, prefix and "*" domains,
// about 3,000 routes of every kind, require_tls, header mutations) the
// way a file is loaded, and checks the route decision for each request of
// testdata/requests.txt against testdata/decisions.golden. After an
// intended change: go test ./core/router -run TestGolden -update, and
// review the diff.
func TestGolden(t *testing.T) {
	c, err := config.Load("testdata/large_router.json")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Build(c.Servers[0].Routers[0])
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/requests.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, " | ")
		m, rest, _ := strings.Cut(fields[0], " ")
		host, target, _ := strings.Cut(rest, " ")
		rq := &Request{Method: []byte(m), Host: []byte(host), Target: []byte(target)}
		for _, h := range fields[1:] {
			k, v, _ := strings.Cut(h, ": ")
			rq.Headers = append(rq.Headers, http1.Header{Name: []byte(k), Value: []byte(v)})
		}
		fmt.Fprintf(&out, "%s => %s\n", line, describe(tb.Match(rq), rq))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if *update {
		if err := os.WriteFile("testdata/decisions.golden", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("testdata/decisions.golden")
	if err != nil {
		t.Fatal(err)
	}
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("%d decisions, golden has %d (run with -update after an intended change)", len(gotLines), len(wantLines))
	}
	bad := 0
	for i := range gotLines {
		if gotLines[i] != wantLines[i] {
			if bad++; bad <= 20 {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, gotLines[i], wantLines[i])
			}
		}
	}
	if bad > 20 {
		t.Errorf("%d decisions differ", bad)
	}
}

// describe names the virtual host and the route's position with its
// decision.
func describe(r *Route, rq *Request) string {
	if r == nil {
		return "404"
	}
	vh := r.VirtualHost()
	idx := "tls"
	for i, x := range vh.Routes() {
		if x == r {
			idx = fmt.Sprint(i)
		}
	}
	s := fmt.Sprintf("%s[%s] %s", vh.Name(), idx, decision(r, rq))
	if m := r.RequestHeaders(); m != nil {
		s += fmt.Sprintf(" (+%d request header ops)", len(m.ops))
	}
	return s
}

package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr string
	}{
		{
			name: "nginx worker",
			in:   "4242 (nginx) S 4241 4241 4241 0 -1 4194624 500 0 0 0 1234 567 0 0 20 0 1 0 100 10000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0",
			want: procStat{PPID: 4241, Utime: 1234, Stime: 567},
		},
		{
			name: "command with spaces and parentheses",
			in:   "77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 10 20 0 0 20 0 3 0 5 0 0",
			want: procStat{PPID: 1, Utime: 10, Stime: 20},
		},
		{
			name: "trailing newline",
			in:   "9 (x) S 2 9 9 0 -1 0 0 0 0 0 0 7 0 0 20 0 1 0 5 0 0\n",
			want: procStat{PPID: 2, Stime: 7},
		},
		{name: "no command", in: "1 init S 0", wantErr: "no command name"},
		{name: "truncated", in: "1 (init) S 0 1 1", wantErr: "want at least 14"},
		{name: "bad utime", in: "1 (x) S 0 1 1 0 -1 0 0 0 0 0 abc 1 0", wantErr: `utime "abc"`},
		{name: "bad ppid", in: "1 (x) S p 1 1 0 -1 0 0 0 0 0 1 1 0", wantErr: `ppid "p"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseStat error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseStat = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestProcStatCPU(t *testing.T) {
	if got, want := (procStat{Utime: 150, Stime: 50}).CPU(), 2*time.Second; got != want {
		t.Errorf("CPU = %v, want %v", got, want)
	}
}

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr string
	}{
		{name: "status", in: "Name:\tnginx\nVmPeak:\t  20000 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 100 kB\n", want: 12345 * 1024},
		{name: "zero", in: "VmRSS:\t0 kB\n", want: 0},
		{name: "kernel thread", in: "Name:\tkthreadd\nState:\tS\n", wantErr: "no VmRSS"},
		{name: "unit", in: "VmRSS:\t12 MB\n", wantErr: "malformed"},
		{name: "value", in: "VmRSS:\t1x2 kB\n", wantErr: "VmRSS value"},
		{name: "negative", in: "VmRSS:\t-1 kB\n", wantErr: "VmRSS value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseVmRSS error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseVmRSS = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

// TestProcfsSelf reads this test process's own entries.
func TestProcfsSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc (not Linux)")
	}
	s, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.PPID != os.Getppid() {
		t.Errorf("PPID = %d, want %d", s.PPID, os.Getppid())
	}
	rss, err := readRSS(os.Getpid())
	if err != nil || rss <= 0 {
		t.Errorf("readRSS = %d, %v", rss, err)
	}
	kids, err := children(os.Getppid())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range kids {
		found = found || k == os.Getpid()
	}
	if !found {
		t.Errorf("children(%d) = %v, want it to contain %d", os.Getppid(), kids, os.Getpid())
	}
}

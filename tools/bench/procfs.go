package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the unit of the clock-tick fields of /proc/PID/stat (USER_HZ).
// It is 100 on every architecture Go supports on Linux (sysconf(_SC_CLK_TCK)).
const userHZ = 100

// procStat holds the fields of /proc/PID/stat the harness uses.
type procStat struct {
	// PPID is the parent's process id (field 4).
	PPID int
	// Utime and Stime are user and system CPU time in clock ticks
	// (fields 14 and 15), summed over all threads of the process.
	Utime, Stime uint64
}

// CPU returns utime+stime as a duration.
func (s procStat) CPU() time.Duration {
	return time.Duration(s.Utime+s.Stime) * (time.Second / userHZ)
}

// parseStat parses the contents of /proc/PID/stat (proc(5)). The command
// name (field 2) is in parentheses and may itself contain spaces and
// parentheses, so fields are counted from the last ')'.
func parseStat(data []byte) (procStat, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 || bytes.IndexByte(data, '(') < 0 {
		return procStat{}, fmt.Errorf("procfs: stat: no command name in %q", truncate(string(data), 64))
	}
	// After ") " the fields start at field 3 (state).
	f := bytes.Fields(data[end+1:])
	const first = 3
	field := func(n int) ([]byte, error) {
		if n-first >= len(f) {
			return nil, fmt.Errorf("procfs: stat: %d fields, want at least %d", len(f)+first-1, n)
		}
		return f[n-first], nil
	}
	var s procStat
	b, err := field(4)
	if err != nil {
		return s, err
	}
	if s.PPID, err = strconv.Atoi(string(b)); err != nil {
		return s, fmt.Errorf("procfs: stat: ppid %q: %w", b, err)
	}
	if b, err = field(14); err != nil {
		return s, err
	}
	if s.Utime, err = strconv.ParseUint(string(b), 10, 64); err != nil {
		return s, fmt.Errorf("procfs: stat: utime %q: %w", b, err)
	}
	if b, err = field(15); err != nil {
		return s, err
	}
	if s.Stime, err = strconv.ParseUint(string(b), 10, 64); err != nil {
		return s, fmt.Errorf("procfs: stat: stime %q: %w", b, err)
	}
	return s, nil
}

// parseVmRSS returns the VmRSS line of /proc/PID/status in bytes.
func parseVmRSS(data []byte) (int64, error) {
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("procfs: status: malformed VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("procfs: status: VmRSS value %q", f[0])
		}
		return kb * 1024, nil
	}
	// Kernel threads and zombies have no VmRSS line.
	return 0, fmt.Errorf("procfs: status: no VmRSS line")
}

// readStat reads /proc/PID/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// readRSS reads the resident set size of pid in bytes.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

// children returns the ids of the live processes whose parent is pid.
func children(pid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		s, err := readStat(id)
		if err != nil {
			continue // exited meanwhile
		}
		if s.PPID == pid {
			out = append(out, id)
		}
	}
	return out, nil
}

// descendants returns pid and every process below it.
func descendants(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out) && len(out) < 1024; i++ {
		kids, err := children(out[i])
		if err != nil {
			break
		}
		out = append(out, kids...)
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

package config

import (
	"fmt"
	"strconv"
	"strings"
)

// LogRoller is a parsed global_log_roller. The zero LogRoller rotates once a
// day and keeps every file, MOSN's behaviour without a roller.
type LogRoller struct {
	// MaxSizeMB rotates a file when it reaches this many megabytes; 0 means
	// no size limit ("size=100").
	MaxSizeMB int
	// MaxAgeDays deletes rotated files older than this many days; 0 keeps
	// them ("age=10").
	MaxAgeDays int
	// MaxBackups keeps at most this many rotated files; 0 keeps all
	// ("keep=10").
	MaxBackups int
	// Compress gzips rotated files ("compress=on"; default off).
	Compress bool
	// RotateHours rotates every this many hours when there is no size
	// limit; 0 means 24 ("time=24").
	RotateHours int
}

// ParseLogRoller parses MOSN's roller syntax: space-separated key=value
// pairs with keys size, age, keep, compress (on/off) and time. The empty
// string is the zero LogRoller.
func ParseLogRoller(s string) (LogRoller, error) {
	var r LogRoller
	seen := map[string]bool{}
	for _, field := range strings.Fields(s) {
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			return LogRoller{}, fmt.Errorf("invalid log roller %q: %q is not key=value", s, field)
		}
		if seen[key] {
			return LogRoller{}, fmt.Errorf("invalid log roller %q: %q is set twice", s, key)
		}
		seen[key] = true
		var dst *int
		switch key {
		case "size":
			dst = &r.MaxSizeMB
		case "age":
			dst = &r.MaxAgeDays
		case "keep":
			dst = &r.MaxBackups
		case "time":
			dst = &r.RotateHours
		case "compress":
			switch val {
			case "on":
				r.Compress = true
			case "off":
				r.Compress = false
			default:
				return LogRoller{}, fmt.Errorf("invalid log roller %q: compress must be on or off", s)
			}
			continue
		default:
			return LogRoller{}, fmt.Errorf("invalid log roller %q: unknown key %q (one of size, age, keep, compress, time)", s, key)
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return LogRoller{}, fmt.Errorf("invalid log roller %q: %s must be a non-negative integer", s, key)
		}
		*dst = n
	}
	return r, nil
}

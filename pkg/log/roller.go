package log

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults of mosn.io/pkg/log (roller.go: defaultRotateSize = 1000,
// defaultRotateAge = 7, defaultRotateKeep = 10, compress off; with no
// roller configured at all MOSN rotates daily, defaultRotateTime = 24 h;
// "time" is capped at maxRotateHour = 24).
const (
	// DefaultMaxSize is the size in megabytes past which a file is rotated.
	DefaultMaxSize = 1000
	// DefaultMaxAge is how many days rotated files are kept.
	DefaultMaxAge = 7
	// DefaultMaxBackups is how many rotated files are kept.
	DefaultMaxBackups = 10
	// MaxInterval is the longest time-based rotation period; a longer
	// "time" value is capped to it, as MOSN does.
	MaxInterval = 24 * time.Hour
)

// ErrInvalidRoller is wrapped by every roller parse and validation error.
var ErrInvalidRoller = errors.New("log: invalid roller")

// Roller says when a log file is rotated and what happens to old files. It is
// the parsed form of MOSN's "global_log_roller" string; see ParseRoller.
//
// A file rotates by time when Interval is set, and by size otherwise. As in
// MOSN, time-based rotation ignores MaxSize, MaxAge, MaxBackups and Compress.
type Roller struct {
	// MaxSize is the size in megabytes ("size=") at which a file is rotated.
	// Zero means DefaultMaxSize.
	MaxSize int
	// MaxAge is the number of days ("age=") rotated files are kept. Zero
	// keeps them regardless of age.
	MaxAge int
	// MaxBackups is the number of rotated files ("keep=") kept. Zero keeps
	// them all (MaxAge may still remove them).
	MaxBackups int
	// Compress gzips rotated files ("compress=on").
	Compress bool
	// Interval ("time=" in hours) rotates the file every Interval, on
	// boundaries aligned to local midnight for divisors of 24 h. It must be
	// a whole number of hours from 1 h to 24 h. Zero means rotate by size.
	Interval time.Duration
}

// DefaultRoller is what MOSN uses when no roller is configured: rotate once a
// day, at local midnight.
func DefaultRoller() Roller {
	return Roller{
		MaxSize:    DefaultMaxSize,
		MaxAge:     DefaultMaxAge,
		MaxBackups: DefaultMaxBackups,
		Interval:   24 * time.Hour,
	}
}

// ParseRoller parses MOSN's roller grammar: space-separated key=value
// options, e.g. "size=100 age=10 keep=10 compress=off" or "time=1".
//
//	size=N       rotate when the file reaches N megabytes (N >= 1; default 1000)
//	age=N        delete rotated files older than N days (N >= 0; default 7)
//	keep=N       keep at most N rotated files (N >= 0; default 10)
//	compress=B   gzip rotated files, B is on or off (default off)
//	time=N       rotate every N hours instead of by size (N >= 0, capped at 24;
//	             0 means rotate by size)
//
// Options not given take the defaults above, and rotation is by size unless
// time is given. The empty string means DefaultRoller (daily rotation). A
// repeated key takes its last value. MOSN's "format" key is not supported.
func ParseRoller(s string) (Roller, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return DefaultRoller(), nil
	}
	r := Roller{MaxSize: DefaultMaxSize, MaxAge: DefaultMaxAge, MaxBackups: DefaultMaxBackups}
	for _, f := range fields {
		key, value, ok := strings.Cut(f, "=")
		if !ok || key == "" {
			return Roller{}, fmt.Errorf("%w: malformed option %q in %q, want key=value", ErrInvalidRoller, f, s)
		}
		var err error
		switch key {
		case "size":
			r.MaxSize, err = parseInt(key, value, 1, "megabytes")
		case "age":
			r.MaxAge, err = parseInt(key, value, 0, "days")
		case "keep":
			r.MaxBackups, err = parseInt(key, value, 0, "files")
		case "compress":
			switch value {
			case "on":
				r.Compress = true
			case "off":
				r.Compress = false
			default:
				err = fmt.Errorf("%w: compress %q, want on or off", ErrInvalidRoller, value)
			}
		case "time":
			var hours int
			hours, err = parseInt(key, value, 0, "hours")
			r.Interval = min(time.Duration(hours)*time.Hour, MaxInterval)
		default:
			err = fmt.Errorf("%w: unknown key %q in %q (known: size, age, keep, compress, time)", ErrInvalidRoller, key, f)
		}
		if err != nil {
			return Roller{}, err
		}
	}
	return r, nil
}

func parseInt(key, value string, minimum int, unit string) (int, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n < minimum {
		return 0, fmt.Errorf("%w: %s %q, want an integer >= %d (%s)", ErrInvalidRoller, key, value, minimum, unit)
	}
	return n, nil
}

// Validate reports a Roller that OpenWriter cannot honour.
func (r Roller) Validate() error {
	switch {
	case r.MaxSize < 0:
		return fmt.Errorf("%w: size %d, want >= 0 (megabytes)", ErrInvalidRoller, r.MaxSize)
	case r.MaxAge < 0:
		return fmt.Errorf("%w: age %d, want >= 0 (days)", ErrInvalidRoller, r.MaxAge)
	case r.MaxBackups < 0:
		return fmt.Errorf("%w: keep %d, want >= 0 (files)", ErrInvalidRoller, r.MaxBackups)
	case r.Interval < 0 || r.Interval > MaxInterval || r.Interval%time.Hour != 0:
		return fmt.Errorf("%w: time %v, want a whole number of hours from 0 to 24", ErrInvalidRoller, r.Interval)
	}
	return nil
}

package log

import (
	"errors"
	"testing"
	"time"
)

func TestParseRoller(t *testing.T) {
	sized := func(f func(*Roller)) Roller {
		r := Roller{MaxSize: DefaultMaxSize, MaxAge: DefaultMaxAge, MaxBackups: DefaultMaxBackups}
		f(&r)
		return r
	}
	tests := []struct {
		in      string
		want    Roller
		wantErr string
	}{
		{"", DefaultRoller(), ""},
		{"   ", DefaultRoller(), ""},
		{"size=100 age=10 keep=10 compress=off", Roller{MaxSize: 100, MaxAge: 10, MaxBackups: 10}, ""},
		{"size=100 age=10 keep=10 compress=on", Roller{MaxSize: 100, MaxAge: 10, MaxBackups: 10, Compress: true}, ""},
		{"size=100", sized(func(r *Roller) { r.MaxSize = 100 }), ""},
		{"keep=0 age=0", sized(func(r *Roller) { r.MaxBackups, r.MaxAge = 0, 0 }), ""},
		{"time=1", sized(func(r *Roller) { r.Interval = time.Hour }), ""},
		{"time=12", sized(func(r *Roller) { r.Interval = 12 * time.Hour }), ""},
		{"time=36", sized(func(r *Roller) { r.Interval = 24 * time.Hour }), ""}, // capped, as MOSN
		{"time=0", sized(func(r *Roller) {}), ""},
		{"size=1  size=2", sized(func(r *Roller) { r.MaxSize = 2 }), ""}, // last wins
		{"time=1 size=5 compress=on", sized(func(r *Roller) { r.Interval, r.MaxSize, r.Compress = time.Hour, 5, true }), ""},

		{"size=100 age=10 keep=10 compress=1", Roller{}, `log: invalid roller: compress "1", want on or off`},
		{"size = 100", Roller{}, `log: invalid roller: malformed option "size" in "size = 100", want key=value`},
		{"size=100, age=10", Roller{}, `log: invalid roller: size "100,", want an integer >= 1 (megabytes)`},
		{"A=3", Roller{}, `log: invalid roller: unknown key "A" in "A=3" (known: size, age, keep, compress, time)`},
		{"format=2006", Roller{}, `log: invalid roller: unknown key "format" in "format=2006" (known: size, age, keep, compress, time)`},
		{"=3", Roller{}, `log: invalid roller: malformed option "=3" in "=3", want key=value`},
		{"size=0", Roller{}, `log: invalid roller: size "0", want an integer >= 1 (megabytes)`},
		{"size=abc", Roller{}, `log: invalid roller: size "abc", want an integer >= 1 (megabytes)`},
		{"age=-1", Roller{}, `log: invalid roller: age "-1", want an integer >= 0 (days)`},
		{"keep=x", Roller{}, `log: invalid roller: keep "x", want an integer >= 0 (files)`},
		{"time=1h", Roller{}, `log: invalid roller: time "1h", want an integer >= 0 (hours)`},
		{"time=-2", Roller{}, `log: invalid roller: time "-2", want an integer >= 0 (hours)`},
		{"compress=", Roller{}, `log: invalid roller: compress "", want on or off`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRoller(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrInvalidRoller) {
					t.Fatalf("ParseRoller(%q) error = %v, want %q wrapping ErrInvalidRoller", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRoller(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseRoller(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("parsed roller fails Validate: %v", err)
			}
		})
	}
}

func TestDefaultRoller(t *testing.T) {
	// MOSN (mosn.io/pkg/log): size 1000 MB, age 7 days, keep 10, compress
	// off, daily rotation when nothing is configured.
	want := Roller{MaxSize: 1000, MaxAge: 7, MaxBackups: 10, Interval: 24 * time.Hour}
	if got := DefaultRoller(); got != want {
		t.Fatalf("DefaultRoller() = %+v, want %+v", got, want)
	}
}

func TestRollerValidate(t *testing.T) {
	tests := []struct {
		name    string
		r       Roller
		wantErr string
	}{
		{"zero", Roller{}, ""},
		{"default", DefaultRoller(), ""},
		{"negative size", Roller{MaxSize: -1}, `log: invalid roller: size -1, want >= 0 (megabytes)`},
		{"negative age", Roller{MaxAge: -1}, `log: invalid roller: age -1, want >= 0 (days)`},
		{"negative keep", Roller{MaxBackups: -1}, `log: invalid roller: keep -1, want >= 0 (files)`},
		{"interval not whole hours", Roller{Interval: 90 * time.Minute}, `log: invalid roller: time 1h30m0s, want a whole number of hours from 0 to 24`},
		{"interval too long", Roller{Interval: 48 * time.Hour}, `log: invalid roller: time 48h0m0s, want a whole number of hours from 0 to 24`},
		{"negative interval", Roller{Interval: -time.Hour}, `log: invalid roller: time -1h0m0s, want a whole number of hours from 0 to 24`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrInvalidRoller) {
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

package log

import (
	"errors"
	"log/slog"
	"testing"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr string
	}{
		{"FATAL", LevelFatal, ""},
		{"ERROR", LevelError, ""},
		{"WARN", LevelWarn, ""},
		{"INFO", LevelInfo, ""},
		{"DEBUG", LevelDebug, ""},
		{"TRACE", LevelTrace, ""},
		{"trace", LevelTrace, ""},
		{"Warn", LevelWarn, ""},
		{" info ", LevelInfo, ""},
		{"WARNING", 0, `log: unknown level "WARNING" (want one of FATAL, ERROR, WARN, INFO, DEBUG, TRACE)`},
		{"", 0, `log: unknown level "" (want one of FATAL, ERROR, WARN, INFO, DEBUG, TRACE)`},
		{"RAW", 0, `log: unknown level "RAW" (want one of FATAL, ERROR, WARN, INFO, DEBUG, TRACE)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrUnknownLevel) {
					t.Fatalf("ParseLevel(%q) error = %v, want %q wrapping ErrUnknownLevel", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseLevel(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLevelOrder(t *testing.T) {
	order := []slog.Level{LevelTrace, LevelDebug, LevelInfo, LevelWarn, LevelError, LevelFatal}
	for i := 1; i < len(order); i++ {
		if order[i-1] >= order[i] {
			t.Errorf("%s (%d) not below %s (%d)", LevelName(order[i-1]), order[i-1], LevelName(order[i]), order[i])
		}
	}
}

func TestLevelName(t *testing.T) {
	tests := []struct {
		in   slog.Level
		want string
	}{
		{LevelTrace, "TRACE"},
		{LevelDebug, "DEBUG"},
		{LevelInfo, "INFO"},
		{LevelWarn, "WARN"},
		{LevelError, "ERROR"},
		{LevelFatal, "FATAL"},
		{LevelInfo + 2, "INFO+2"},
		{LevelFatal + 1, "FATAL+1"},
		{LevelTrace - 4, "TRACE-4"},
	}
	for _, tt := range tests {
		if got := LevelName(tt.in); got != tt.want {
			t.Errorf("LevelName(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		ignore  []string
		wantErr bool
	}{
		{"leak detected", nil, true},
		{"leak ignored by stack", []string{"leakcheck.parked"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := Count()
			stop := make(chan struct{})
			started := make(chan struct{})
			go parked(started, stop)
			<-started
			defer close(stop)
			err := wait(base, 20*time.Millisecond, tt.ignore...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "leakcheck.parked") {
				t.Errorf("error does not show the leaked stack:\n%v", err)
			}
		})
	}
}

func parked(started, stop chan struct{}) {
	close(started)
	<-stop
}

package accesslog

import "testing"

// TestAppendValue: for header values (route header mutations) a missing
// value renders as nothing, where Append writes Envoy's "-".
func TestAppendValue(t *testing.T) {
	e := &Entry{DownstreamRemoteAddress: "192.0.2.1:5", RequestHeaders: headers("x-in", "v")}
	cases := []struct{ format, append, value string }{
		{"%REQ(x-in)%", "v", "v"},
		{"%REQ(x-missing)%", "-", ""},
		{"a=%REQ(x-missing)%;b=%DOWNSTREAM_REMOTE_ADDRESS%", "a=-;b=192.0.2.1:5", "a=;b=192.0.2.1:5"},
		{"%UPSTREAM_HOST%%RESPONSE_FLAGS%%REQUEST_DURATION%%START_TIME%%start_time%", "-----", ""},
		{"%request_header_x-in%", "v", "v"},
		{"100\\%", "100%", "100%"},
	}
	for _, c := range cases {
		f, err := Compile(c.format)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(f.Append(nil, e)); got != c.append {
			t.Errorf("Append %s = %q, want %q", c.format, got, c.append)
		}
		if got := string(f.AppendValue(nil, e)); got != c.value {
			t.Errorf("AppendValue %s = %q, want %q", c.format, got, c.value)
		}
	}
	f, _ := Compile("%REQ(x-in)% %DOWNSTREAM_REMOTE_ADDRESS%")
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = f.AppendValue(buf[:0], e) }); n != 0 {
		t.Errorf("%v allocs per AppendValue", n)
	}
}

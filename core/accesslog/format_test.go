package accesslog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// headers builds an http1.HeaderMap, the proxy's own implementation, from
// name, value pairs.
func headers(kv ...string) api.HeaderMap {
	hs := make([]http1.Header, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, http1.Header{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return http1.NewHeaderMap(&hs)
}

// testEntry is a realistic finished request: a 503 the proxy produced
// after the cluster had no healthy host and its circuit breaker tripped.
func testEntry() *Entry {
	return &Entry{
		StartTime:               time.Date(2024, 3, 9, 14, 5, 6, 789_123_456, time.UTC),
		RequestReceived:         1500 * time.Microsecond,
		ResponseReceived:        12250 * time.Microsecond,
		Duration:                2345*time.Millisecond + 678*time.Microsecond,
		Protocol:                "HTTP/1.1",
		Method:                  []byte("GET"),
		Path:                    []byte("/api/v1/items?id=7"),
		Authority:               []byte("shop.example.com"),
		RequestID:               []byte("3f0c9a52-7d1e-4c1b-9b7e-2a6f4f0e8d11"),
		ResponseCode:            503,
		ResponseFlags:           api.NoHealthyUpstream | api.UpstreamOverflow,
		BytesReceived:           123,
		BytesSent:               4567,
		DownstreamRemoteAddress: "192.0.2.10:53242",
		DownstreamLocalAddress:  "10.0.0.1:8080",
		UpstreamHost:            "10.0.0.7:80",
		UpstreamLocalAddress:    "10.0.0.1:41000",
		UpstreamCluster:         "reviews",
		RequestHeaders: headers(
			"Host", "shop.example.com",
			"User-Agent", "curl/8.5.0",
			"X-Forwarded-For", "198.51.100.4",
			"X-Request-Id", "from-client",
			"Accept", "*/*",
		),
		ResponseHeaders: headers(
			"Server", "upstream/1.0",
			"Content-Type", "text/plain",
		),
	}
}

func render(t *testing.T, format string, e *Entry) string {
	t.Helper()
	f, err := Compile(format)
	if err != nil {
		t.Fatalf("Compile(%q): %v", format, err)
	}
	return string(f.Append(nil, e))
}

func TestCompileVariables(t *testing.T) {
	full := testEntry()
	empty := &Entry{}
	tests := []struct {
		format    string
		want      string // rendered from testEntry
		wantEmpty string // rendered from a zero Entry
	}{
		// MOSN variables, rendered as MOSN renders them.
		{"%start_time%", "2024/03/09 22:05:06.789", "-"}, // local time (CST in TestMain)
		{"%request_received_duration%", "1.5ms", "0s"},
		{"%response_received_duration%", "12.25ms", "0s"},
		{"%duration%", "2.345678s", "0s"},
		{"%request_finished_duration%", "2.345678s", "0s"},
		{"%bytes_sent%", "4567", "0"},
		{"%bytes_received%", "123", "0"},
		{"%protocol%", "HTTP/1.1", "-"},
		{"%response_code%", "503", "0"},
		{"%response_flag%", "true", "false"},
		{"%response_flags%", "true", "false"},
		{"%upstream_local_address%", "10.0.0.1:41000", "-"},
		{"%downstream_local_address%", "10.0.0.1:8080", "-"},
		{"%downstream_remote_address%", "192.0.2.10:53242", "-"},
		{"%upstream_host%", "10.0.0.7:80", "-"},
		{"%upstream_cluster%", "reviews", "-"},
		{"%request_id%", "3f0c9a52-7d1e-4c1b-9b7e-2a6f4f0e8d11", "-"},
		{"%request_header_user-agent%", "curl/8.5.0", "-"},
		{"%request_header_User-Agent%", "curl/8.5.0", "-"},
		{"%request_header_x-request-id%", "3f0c9a52-7d1e-4c1b-9b7e-2a6f4f0e8d11", "-"},
		{"%request_header_x-missing%", "-", "-"},
		{"%response_header_server%", "upstream/1.0", "-"},
		{"%response_header_content-type%", "text/plain", "-"},

		// Envoy command operators, rendered as Envoy renders them.
		{"%START_TIME%", "2024-03-09T14:05:06.789Z", "-"},
		{"%REQUEST_DURATION%", "1", "-"},
		{"%RESPONSE_DURATION%", "12", "-"},
		{"%DURATION%", "2345", "0"},
		{"%RESPONSE_CODE%", "503", "0"},
		{"%RESPONSE_FLAGS%", "UH,UO", "-"},
		{"%BYTES_RECEIVED%", "123", "0"},
		{"%BYTES_SENT%", "4567", "0"},
		{"%PROTOCOL%", "HTTP/1.1", "-"},
		{"%UPSTREAM_HOST%", "10.0.0.7:80", "-"},
		{"%UPSTREAM_CLUSTER%", "reviews", "-"},
		{"%UPSTREAM_LOCAL_ADDRESS%", "10.0.0.1:41000", "-"},
		{"%DOWNSTREAM_REMOTE_ADDRESS%", "192.0.2.10:53242", "-"},
		{"%DOWNSTREAM_LOCAL_ADDRESS%", "10.0.0.1:8080", "-"},
		{"%REQ(:METHOD)%", "GET", "-"},
		{"%REQ(:method)%", "GET", "-"},
		{"%REQ(:PATH)%", "/api/v1/items?id=7", "-"},
		{"%REQ(:AUTHORITY)%", "shop.example.com", "-"},
		{"%REQ(X-REQUEST-ID)%", "3f0c9a52-7d1e-4c1b-9b7e-2a6f4f0e8d11", "-"},
		{"%REQ(USER-AGENT)%", "curl/8.5.0", "-"},
		{"%REQ(X-FORWARDED-FOR)%", "198.51.100.4", "-"},
		{"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "/api/v1/items?id=7", "-"},
		{"%REQ(USER-AGENT?:PATH)%", "curl/8.5.0", "-"},
		{"%REQ(USER-AGENT):4%", "curl", "-"},
		{"%REQ(:PATH):7%", "/api/v1", "-"},
		{"%REQ(X-MISSING)%", "-", "-"},
		{"%RESP(SERVER)%", "upstream/1.0", "-"},
		{"%RESP(X-MISSING?CONTENT-TYPE)%", "text/plain", "-"},
		{"%RESP(:METHOD)%", "-", "-"}, // pseudo headers are request-only

		// Text, escapes and mixtures.
		{"", strings.Join([]string{
			"2024/03/09 22:05:06.789", "1.5ms", "12.25ms", "4567", "123", "HTTP/1.1", "503",
			"2.345678s", "true", "503", "10.0.0.1:41000", "10.0.0.1:8080", "192.0.2.10:53242", "10.0.0.7:80",
		}, " "), "- 0s 0s 0 0 - 0 0s false 0 - - - -"},
		{"plain text", "plain text", "plain text"},
		{"100\\% of %bytes_sent%", "100% of 4567", "100% of 0"},
		{`back\slash`, `back\slash`, `back\slash`},
		{"[%START_TIME%] %RESPONSE_CODE%\n", "[2024-03-09T14:05:06.789Z] 503", "[-] 0"},
		{"%response_code%%duration%", "5032.345678s", "00s"},
		{"code=%response_code% flags=%RESPONSE_FLAGS% ", "code=503 flags=UH,UO ", "code=0 flags=- "},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			if got := render(t, tt.format, full); got != tt.want {
				t.Errorf("full entry: got %q, want %q", got, tt.want)
			}
			if got := render(t, tt.format, empty); got != tt.wantEmpty {
				t.Errorf("zero entry: got %q, want %q", got, tt.wantEmpty)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		format, want string
	}{
		{"%foo%", `accesslog: unknown variable "foo" in log_format`},
		{"%start_time% %foo%", `accesslog: unknown variable "foo" in log_format`},
		{"%Start_Time%", `accesslog: unknown variable "Start_Time" in log_format`},
		{"%StartTime% %REQ.requestid%", `accesslog: unknown variable "StartTime" in log_format`},
		{"100% done %duration%", `accesslog: unknown variable " done " in log_format`},
		{"%START_TIME(%s)%", `accesslog: unknown variable "START_TIME(%s)" in log_format`},
		{"%start_time", `accesslog: unterminated variable "%start_time" in log_format`},
		{"%start_time% %duration", `accesslog: unterminated variable "%duration" in log_format`},
		{"50%", `accesslog: unterminated variable "%" in log_format`},
		{"%REQ(X-FOO%", `accesslog: unterminated variable "%REQ(X-FOO%" in log_format`},
		{"%start_time %duration %bytes_sent %bytes_received", `accesslog: unknown variable "start_time " in log_format`},
		{"x %0123456789012345678901234567890123456789 tail", `accesslog: unterminated variable "%012345678901234567890123456789012345678..." in log_format`},
		{"a %% b", `accesslog: empty variable "%%" in log_format (write \% for a literal %)`},
		{"%REQ()%", `accesslog: empty header name in variable "REQ()" in log_format`},
		{"%REQ(?X)%", `accesslog: empty header name in variable "REQ(?X)" in log_format`},
		{"%REQ(X?)%", `accesslog: empty header name in variable "REQ(X?)" in log_format`},
		{"%REQ(A B)%", `accesslog: invalid header name "A B" in variable "REQ(A B)" in log_format`},
		{"%REQ(A?B?C)%", `accesslog: invalid header name "B?C" in variable "REQ(A?B?C)" in log_format`},
		{"%RESP(:)%", `accesslog: invalid header name ":" in variable "RESP(:)" in log_format`},
		{"%REQ(X):0%", `accesslog: invalid length ":0" in variable "REQ(X):0" in log_format, want :N with N >= 1`},
		{"%REQ(X):-1%", `accesslog: invalid length ":-1" in variable "REQ(X):-1" in log_format, want :N with N >= 1`},
		{"%REQ(X):+1%", `accesslog: invalid length ":+1" in variable "REQ(X):+1" in log_format, want :N with N >= 1`},
		{"%REQ(X):%", `accesslog: invalid length ":" in variable "REQ(X):" in log_format, want :N with N >= 1`},
		{"%REQ(X)abc%", `accesslog: invalid length "abc" in variable "REQ(X)abc" in log_format, want :N with N >= 1`},
		{"%request_header_%", `accesslog: empty header name in variable "request_header_" in log_format`},
		{"%response_header_a b%", `accesslog: invalid header name "a b" in variable "response_header_a b" in log_format`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			f, err := Compile(tt.format)
			if err == nil {
				t.Fatalf("Compile(%q) = %q, want error %q", tt.format, f.Append(nil, testEntry()), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Compile(%q) error\n got: %s\nwant: %s", tt.format, err, tt.want)
			}
			if !errors.Is(err, ErrInvalidFormat) {
				t.Errorf("error %v does not match ErrInvalidFormat", err)
			}
		})
	}
}

func TestDefaultFormat(t *testing.T) {
	// MOSN's types.DefaultAccessLogFormat, as MOSN defines it.
	const mosn = "%start_time% %request_received_duration% %response_received_duration% %bytes_sent% " +
		"%bytes_received% %protocol% %response_code% %duration% %response_flag% %response_code% " +
		"%upstream_local_address% %downstream_local_address% %downstream_remote_address% %upstream_host%"
	if DefaultFormat != mosn {
		t.Fatalf("DefaultFormat = %q, want MOSN's %q", DefaultFormat, mosn)
	}
	f, err := Compile("")
	if err != nil {
		t.Fatal(err)
	}
	if f.String() != DefaultFormat {
		t.Errorf("Compile(\"\").String() = %q, want DefaultFormat", f.String())
	}
}

// Envoy's documented default format compiles and renders field by field.
func TestEnvoyDefaultFormat(t *testing.T) {
	const envoy = `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ` +
		`%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ` +
		`%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ` +
		`"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"` + "\n"
	const want = `[2024-03-09T14:05:06.789Z] "GET /api/v1/items?id=7 HTTP/1.1" 503 UH,UO 123 4567 2345 - ` +
		`"198.51.100.4" "curl/8.5.0" "3f0c9a52-7d1e-4c1b-9b7e-2a6f4f0e8d11" "shop.example.com" "10.0.0.7:80"`
	if got := render(t, envoy, testEntry()); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestResponseFlags(t *testing.T) {
	tests := []struct {
		flags api.ResponseFlag
		want  string
	}{
		{0, "-"},
		{api.NoHealthyUpstream, "UH"},
		{api.UpstreamConnectionFailure, "UF"},
		{api.UpstreamRequestTimeout, "UT"},
		{api.UpstreamRemoteReset, "UR"},
		{api.DownstreamConnectionTermination, "DC"},
		{api.NoRouteFound, "NR"},
		{api.UpstreamOverflow, "UO"},
		{api.DownstreamProtocolError, "DPE"},
		{api.UpstreamProtocolError, "UPE"},
		{api.UpstreamRetryLimitExceeded, "URX"},
		{api.UpstreamConnectionTermination, "UC"},
		{api.UpstreamConnectionFailure | api.UpstreamRemoteReset | api.UpstreamProtocolError, "UF,UR,UPE"},
		{1 << 31, "-"}, // a flag this package does not know yet
	}
	f, err := Compile("%RESPONSE_FLAGS% %response_flag%")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		got := string(f.Append(nil, &Entry{ResponseFlags: tt.flags}))
		want := tt.want + " " + map[bool]string{true: "true", false: "false"}[tt.flags != 0]
		if got != want {
			t.Errorf("flags %#x: got %q, want %q", uint32(tt.flags), got, want)
		}
	}
}

// Values from the wire cannot add lines or fields that look like lines.
func TestControlCharactersEscaped(t *testing.T) {
	e := &Entry{
		Path:           []byte("/a\nGET /forged HTTP/1.1"),
		RequestHeaders: headers("User-Agent", "x\ty\r\x7fz"),
		UpstreamHost:   "h\x00",
	}
	got := render(t, "%REQ(:PATH)% %request_header_user-agent% %upstream_host% lit\ttab", e)
	const want = `/a\x0aGET /forged HTTP/1.1 x\x09y\x0d\x7fz h\x00 lit` + "\ttab"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestAppendKeepsDst(t *testing.T) {
	f, err := Compile("%response_code%")
	if err != nil {
		t.Fatal(err)
	}
	got := f.Append([]byte("prefix "), testEntry())
	if string(got) != "prefix 503" {
		t.Errorf("got %q, want %q", got, "prefix 503")
	}
}

func TestAppendAllocs(t *testing.T) {
	for _, format := range []string{
		DefaultFormat,
		`[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ` +
			`%DURATION% "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" %request_header_accept% %response_header_server%`,
	} {
		f, err := Compile(format)
		if err != nil {
			t.Fatal(err)
		}
		e := testEntry()
		buf := make([]byte, 0, 4096)
		allocs := testing.AllocsPerRun(1000, func() {
			buf = f.Append(buf[:0], e)
		})
		if allocs != 0 {
			t.Errorf("Append(%q) allocates %.1f times per call, want 0", format, allocs)
		}
	}
}

// appendTime is AppendFormat with the two layouts, done by hand.
func TestAppendTime(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("odd", -(3*3600 + 30*60))}
	times := []time.Time{
		time.Date(2024, 3, 9, 14, 5, 6, 789_123_456, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1_000_000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 5_000_000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), // past 4 digits: AppendFormat's rendering
		time.Date(-5, 6, 7, 8, 9, 10, 11_000_000, time.UTC),
		time.Unix(1700000000, 42_000_000),
	}
	for i := range 1000 { // a spread of instants over four centuries
		times = append(times, time.Unix(int64(i)*12_345_678_901-6_000_000_000, int64(i)*7_919_113%1_000_000_000))
	}
	for _, tm := range times {
		for _, loc := range zones {
			tm := tm.In(loc)
			if got, want := string(appendTime(nil, tm, '/', ' ')), tm.Format(mosnTimeLayout); got != want {
				t.Errorf("MOSN layout of %v: got %q, want %q", tm, got, want)
			}
			if got, want := string(appendTime(nil, tm, '-', 'T'))+"Z", tm.Format(envoyTimeLayout); got != want {
				t.Errorf("Envoy layout of %v: got %q, want %q", tm, got, want)
			}
		}
	}
}

func TestConnVariables(t *testing.T) {
	f, err := Compile("%requested_server_name% %downstream_peer_uri_san% %downstream_alpn% %downstream_transport_protocol% %REQUESTED_SERVER_NAME% %DOWNSTREAM_PEER_URI_SAN%")
	if err != nil {
		t.Fatal(err)
	}
	e := &Entry{Conn: &network.ConnInfo{ServerName: "a.test", PeerURIs: []string{"spiffe://td/ns/a/sa/x", "spiffe://td/ns/a/sa/y"},
		NegotiatedProtocol: "h2", TransportProtocol: "tls"}}
	if got := string(f.Append(nil, e)); got != "a.test spiffe://td/ns/a/sa/x,spiffe://td/ns/a/sa/y h2 tls a.test spiffe://td/ns/a/sa/x,spiffe://td/ns/a/sa/y" {
		t.Fatalf("got %q", got)
	}
	if got := string(f.Append(nil, &Entry{})); got != "- - - - - -" {
		t.Fatalf("without connection info: %q", got)
	}
}

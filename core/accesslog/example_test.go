package accesslog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/pkg/log"
)

func ExampleCompile() {
	f, err := accesslog.Compile(`[%START_TIME%] "%REQ(:METHOD)% %REQ(:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ` +
		`%DURATION%ms %duration% %upstream_host% "%REQ(USER-AGENT)%"`)
	if err != nil {
		panic(err)
	}
	e := &accesslog.Entry{
		StartTime:     time.Date(2024, 3, 9, 14, 5, 6, 789_000_000, time.UTC),
		Duration:      12*time.Millisecond + 345*time.Microsecond,
		Protocol:      "HTTP/1.1",
		Method:        []byte("GET"),
		Path:          []byte("/reviews/1"),
		ResponseCode:  503,
		ResponseFlags: api.NoHealthyUpstream,
	}
	fmt.Println(string(f.Append(nil, e)))

	_, err = accesslog.Compile("%start_time% %upstream_hots%")
	fmt.Println(err)
	// Output:
	// [2024-03-09T14:05:06.789Z] "GET /reviews/1 HTTP/1.1" 503 UH 12ms 12.345ms - "-"
	// accesslog: unknown variable "upstream_hots" in log_format
}

func ExampleNew() {
	dir, err := os.MkdirTemp("", "accesslog")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "access.log")

	// "access_logs": [{"log_path": path, "log_format": "%response_code% %bytes_sent% %upstream_cluster%"}]
	// with "global_log_roller": "time=24" (rotate daily).
	roller, err := log.ParseRoller("time=24")
	if err != nil {
		panic(err)
	}
	l, err := accesslog.New(path, "%response_code% %bytes_sent% %upstream_cluster%", roller)
	if err != nil {
		panic(err)
	}
	l.Log(&accesslog.Entry{ResponseCode: 200, BytesSent: 1024, UpstreamCluster: "reviews"})
	l.Log(&accesslog.Entry{ResponseCode: 404, BytesSent: 0, UpstreamCluster: "reviews"})
	if err := l.Close(); err != nil { // flushes
		panic(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	fmt.Print(string(data))
	fmt.Println("dropped:", l.Dropped())
	// Output:
	// 200 1024 reviews
	// 404 0 reviews
	// dropped: 0
}

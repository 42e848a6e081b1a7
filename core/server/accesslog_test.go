package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/server"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// A JSON access log for a known request set, a text one next to it, and
// a reopen after the files were moved away (what SIGUSR1 does).
func TestAccessLogsJSONAndReopen(t *testing.T) {
	origin := newOrigin(t, "hello")
	dir := t.TempDir()
	jsonPath, textPath := filepath.Join(dir, "access.json"), filepath.Join(dir, "access.log")
	cfg := proxyConfig(t, origin, "", `"access_logs": [
	  {"log_path": "`+jsonPath+`", "json_format": {"code": "%RESPONSE_CODE%", "path": "%REQ(:PATH)%", "host": "%UPSTREAM_HOST%", "flags": "%RESPONSE_FLAGS%", "cluster": "%upstream_cluster%"}},
	  {"log_path": "`+textPath+`", "log_format": "%RESPONSE_CODE% %REQ(:PATH)%"}]`)
	srv, err := server.New(server.Options{Config: cfg, Version: server.VersionInfo{Version: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	closed := false
	t.Cleanup(func() {
		if !closed {
			srv.Close()
		}
	})
	addr := srv.ListenerAddr("ingress").String()
	traffic(t, addr, "/a", 1)
	// A request is logged just after its response is written: wait, so
	// the two lines keep their order.
	eventually(t, "first request logged", func() bool { return srv.Stats().Requests.Load() == 1 && srv.Stats().Active.Load() == 0 })
	traffic(t, addr, "/fail", 1)
	// Lines reach the files within a second (the flusher's tick).
	eventually(t, "first lines written", func() bool {
		return strings.Count(readFile(t, jsonPath), "\n") == 2 && strings.Count(readFile(t, textPath), "\n") == 2
	})
	for _, p := range []string{jsonPath, textPath} {
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.ReopenLogs(); err != nil {
		t.Fatal(err)
	}
	traffic(t, addr, "/b", 1)
	eventually(t, "third request", func() bool { return srv.Stats().Requests.Load() == 3 && srv.Stats().Active.Load() == 0 })
	srv.Close() // flushes
	closed = true

	want := `{"cluster":"backend","code":200,"flags":null,"host":"` + origin + `","path":"/a"}` + "\n" +
		`{"cluster":"backend","code":503,"flags":null,"host":"` + origin + `","path":"/fail"}` + "\n"
	if got := readFile(t, jsonPath+".1"); got != want {
		t.Errorf("JSON log before reopen:\n%s\nwant\n%s", got, want)
	}
	if got := readFile(t, textPath+".1"); got != "200 /a\n503 /fail\n" {
		t.Errorf("text log before reopen: %q", got)
	}
	if got := readFile(t, jsonPath); got != `{"cluster":"backend","code":200,"flags":null,"host":"`+origin+`","path":"/b"}`+"\n" {
		t.Errorf("JSON log after reopen: %q", got)
	}
	if got := readFile(t, textPath); got != "200 /b\n" {
		t.Errorf("text log after reopen: %q", got)
	}
}

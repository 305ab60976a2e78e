package main

import (
	"flag"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeMetricsListener checks serve's wiring of the metrics: on their
// own listener, which serves nothing else, and not on the API listener
// without the operator token.
func TestServeMetricsListener(t *testing.T) {
	dir := t.TempDir()
	var c serveConfig
	bindServeFlags(flag.NewFlagSet("test", flag.ContinueOnError), &c, true)
	if c.metricsAddr != defaultMetricsAddr || !strings.HasPrefix(defaultMetricsAddr, "127.0.0.1:") {
		t.Errorf("--metrics-addr defaults to %q, want loopback", c.metricsAddr)
	}
	c.addr, c.metricsAddr = "127.0.0.1:0", "127.0.0.1:0"
	c.db, c.mediaDir = filepath.Join(dir, "x.db"), filepath.Join(dir, "media")
	c.frankingKeysFile, c.guardianKeyFile = filepath.Join(dir, "franking.keys"), filepath.Join(dir, "guardian.key")
	c.cases.evidenceDir, c.cases.reportDir = filepath.Join(dir, "evidence"), filepath.Join(dir, "reports")
	c.adminToken = "operator-token"
	c.argon2.MemoryKiB, c.argon2.Time = 64, 1
	srv, err := start(t.Context(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.close() })

	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if srv.metricsURL == "" {
		t.Fatal("no metrics listener")
	}
	if code, body := get(srv.metricsURL+"/metrics", ""); code != 200 || !strings.Contains(body, "safeguard_event_streams") {
		t.Errorf("metrics listener: %d\n%.200s", code, body)
	}
	if code, _ := get(srv.metricsURL+"/healthz", ""); code != 404 {
		t.Errorf("metrics listener serves /healthz: %d", code)
	}
	if code, _ := get(srv.url+"/metrics", ""); code == 200 {
		t.Errorf("API listener serves /metrics without the operator token")
	}
	if code, _ := get(srv.url+"/metrics", c.adminToken); code != 200 {
		t.Errorf("API listener with the operator token: %d", code)
	}
}

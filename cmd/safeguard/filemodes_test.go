package main

import (
	"flag"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// TestServeDataModes replays a finding: safeguard.db and its -wal and -shm
// files were created 0644, readable by every local user. A real serve, run
// under a umask that takes nothing away, writes its data directory; then the
// database files must be 0600 and the directories it made 0700.
func TestServeDataModes(t *testing.T) {
	old := syscall.Umask(0) // not parallel: the umask is the process's
	t.Cleanup(func() { syscall.Umask(old) })

	data := filepath.Join(t.TempDir(), "data") // serve makes it
	var c serveConfig
	bindServeFlags(flag.NewFlagSet("test", flag.ContinueOnError), &c, true)
	c.addr, c.metricsAddr = "127.0.0.1:0", ""
	c.db, c.mediaDir = filepath.Join(data, "safeguard.db"), filepath.Join(data, "media")
	c.mediaKeyFile = filepath.Join(data, "media.key")
	c.frankingKeysFile = filepath.Join(data, "franking.keys")
	c.guardianKeyFile = filepath.Join(data, "guardian.key")
	c.cases.evidenceDir, c.cases.reportDir = filepath.Join(data, "evidence"), filepath.Join(data, "reports")
	c.cases.evidenceKey = filepath.Join(data, "evidence.signing.key")
	c.argon2.MemoryKiB, c.argon2.Time = 64, 1
	srv, err := start(t.Context(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.close() })

	// Writes that reach the database and the media directory.
	u := client.New(srv.url)
	up, err := u.SignUp(t.Context(), client.SignUpRequest{Handle: "mode", Password: "a long enough password", BirthDate: "1990-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Login(t.Context(), up.Handle, "a long enough password"); err != nil {
		t.Fatal(err)
	}

	want := map[string]fs.FileMode{
		"safeguard.db":     0o600,
		"safeguard.db-wal": 0o600,
		"safeguard.db-shm": 0o600,
		"media":            0o700 | fs.ModeDir,
		"evidence":         0o700 | fs.ModeDir,
		"media.key":        0o600,
		"guardian.key":     0o600,
	}
	fi, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModeDir | fs.ModePerm); got != 0o700|fs.ModeDir {
		t.Errorf("data directory: mode %v, want drwx------", got)
	}
	for name, mode := range want {
		fi, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := fi.Mode() & (fs.ModeDir | fs.ModePerm); got != mode {
			t.Errorf("%s: mode %v, want %v", name, got, mode)
		}
	}
}

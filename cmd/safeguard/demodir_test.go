package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoDir: the demo makes a directory that is missing, refuses one that
// holds an earlier demo's data, and deletes only that data when reset.
func TestDemoDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "new", "demo")
	got, err := demoDir(dir, false)
	if err != nil || got != dir {
		t.Fatalf("demoDir(missing) = %q, %v", got, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("made %v, %v; want a directory 0700", fi, err)
	}
	for _, name := range []string{"safeguard.db", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "evidence"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = demoDir(dir, false)
	if err == nil || !strings.Contains(err.Error(), "--reset") || !strings.Contains(err.Error(), "safeguard.db") {
		t.Fatalf("demoDir(used) = %v; want a refusal naming the data and --reset", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "safeguard.db")); err != nil {
		t.Fatalf("a refused run deleted the database: %v", err)
	}
	if _, err := demoDir(dir, true); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"safeguard.db": false, "evidence": false, "notes.txt": true} {
		_, err := os.Stat(filepath.Join(dir, name))
		if (err == nil) != want {
			t.Errorf("after --reset, %s exists = %v, want %v", name, err == nil, want)
		}
	}
}

// TestDemoRefusesUsedDir runs the demo twice on one directory: the second
// run stops before touching the first one's database.
func TestDemoRefusesUsedDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if _, errOut, code := runCmd(t, nil, "demo", "--exit", "--dir", dir, "--argon2-memory", "64", "--argon2-time", "1"); code != 0 {
		t.Fatalf("first demo: exit %d: %s", code, errOut)
	}
	before, err := os.Stat(filepath.Join(dir, "safeguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCmd(t, nil, "demo", "--exit", "--dir", dir)
	if code == 0 || !strings.Contains(errOut, "--reset") {
		t.Fatalf("second demo on the same directory: exit %d, %q; want a refusal that names --reset", code, errOut)
	}
	after, err := os.Stat(filepath.Join(dir, "safeguard.db"))
	if err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("the first demo's database changed: %v", err)
	}
}

// TestResetOnlyFromCommandLine: SAFEGUARD_RESET in the environment does not
// reset a demo's directory; only --reset does.
func TestResetOnlyFromCommandLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "safeguard.db"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCmd(t, map[string]string{"SAFEGUARD_RESET": "true"}, "demo", "--exit", "--dir", dir)
	if code == 0 || !strings.Contains(errOut, "--reset") {
		t.Fatalf("exit %d, %q; want the refusal", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "safeguard.db")); err != nil {
		t.Fatalf("the environment reset the directory: %v", err)
	}
}

// TestDemoDataStaysInDir: the demo's data directory is its --dir; a
// SAFEGUARD_DB or SAFEGUARD_EVIDENCE_DIR meant for a server does not send
// the demo's data elsewhere.
func TestDemoDataStaysInDir(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo story takes a few seconds")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "demo")
	elsewhere := filepath.Join(root, "server")
	env := map[string]string{"SAFEGUARD_DB": filepath.Join(elsewhere, "safeguard.db"), "SAFEGUARD_EVIDENCE_DIR": filepath.Join(elsewhere, "evidence"),
		"SAFEGUARD_MEDIA": filepath.Join(elsewhere, "media"), "SAFEGUARD_DATA": elsewhere}
	if _, errOut, code := runCmd(t, env, "demo", "--exit", "--dir", dir, "--argon2-memory", "64", "--argon2-time", "1"); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(elsewhere); err == nil {
		t.Errorf("the environment sent the demo's data to %s", elsewhere)
	}
	for _, name := range []string{"safeguard.db", "media", "evidence", "evidence.signing.key", "franking.keys", "guardian.key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the demo's %s is not in its --dir: %v", name, err)
		}
	}
}

// TestDemoBusyAddress: a demo asked to listen where something already does
// stops before it makes any of its data, so it can be run again in the
// same directory with another address.
func TestDemoBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "demo")
	_, errOut, code := runCmd(t, nil, "demo", "--exit", "--dir", dir, "--addr", ln.Addr().String())
	if code == 0 || !strings.Contains(errOut, "--addr "+ln.Addr().String()) {
		t.Fatalf("demo on a busy address: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused demo made %s (%v)", dir, err)
	}
}

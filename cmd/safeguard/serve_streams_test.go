package main

import (
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/web"
)

func TestStreamCapFlags(t *testing.T) {
	tests := []struct {
		name                string
		args                []string
		env                 map[string]string
		perAccount, perAddr int
	}{
		{"defaults", nil, nil, web.DefaultMaxStreamsPerAccount, web.DefaultMaxStreamsPerAddress},
		{"environment", nil, map[string]string{"SAFEGUARD_MAX_STREAMS_PER_ACCOUNT": "3", "SAFEGUARD_MAX_STREAMS_PER_ADDRESS": "9"}, 3, 9},
		{"flags win", []string{"--max-streams-per-account", "2", "--max-streams-per-address", "4"},
			map[string]string{"SAFEGUARD_MAX_STREAMS_PER_ACCOUNT": "3"}, 2, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{getenv: func(k string) string { return tt.env[k] }, stdout: io.Discard, stderr: io.Discard, leaf: &commands[0]}
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var c serveConfig
			bindServeFlags(fs, &c, true)
			if err := parseFlags(fs, e, tt.args); err != nil {
				t.Fatal(err)
			}
			if c.maxStreamsPerAccount != tt.perAccount || c.maxStreamsPerAddress != tt.perAddr {
				t.Errorf("caps = %d per account, %d per address; want %d, %d", c.maxStreamsPerAccount, c.maxStreamsPerAddress, tt.perAccount, tt.perAddr)
			}
		})
	}
}

// --support-contact comes from the flag or SAFEGUARD_SUPPORT_CONTACT, and
// serve refuses one that is not a single short line.
func TestSupportContactFlag(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
		ok   bool
	}{
		{"unset", nil, nil, "", true},
		{"flag", []string{"--support-contact", "help@safeguard.example"}, nil, "help@safeguard.example", true},
		{"environment", nil, map[string]string{"SAFEGUARD_SUPPORT_CONTACT": "https://safeguard.example/help"}, "https://safeguard.example/help", true},
		{"two lines", []string{"--support-contact", "help@safeguard.example\nor call"}, nil, "help@safeguard.example\nor call", false},
		{"too long", []string{"--support-contact", strings.Repeat("a", 201)}, nil, strings.Repeat("a", 201), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{getenv: func(k string) string { return tt.env[k] }, stdout: io.Discard, stderr: io.Discard, leaf: &commands[0]}
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var c serveConfig
			bindServeFlags(fs, &c, true)
			if err := parseFlags(fs, e, tt.args); err != nil {
				t.Fatal(err)
			}
			if c.supportContact != tt.want {
				t.Errorf("support contact %q, want %q", c.supportContact, tt.want)
			}
			if err := checkSupportContact(c.supportContact); (err == nil) != tt.ok {
				t.Errorf("check: %v", err)
			}
		})
	}
}

// Without a support contact, GET /api/v1/about still answers the field,
// empty.
func TestAboutWithoutSupportContact(t *testing.T) {
	srv, _ := startBankServer(t, filepath.Join(t.TempDir(), "safeguard.db"))
	res, err := http.Get(srv.url + "/api/v1/about")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != `{"support_contact":""}` {
		t.Errorf("about: %d %s", res.StatusCode, b)
	}
}

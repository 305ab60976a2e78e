// Package natstest runs a NATS server with JetStream inside a test, on a
// port of its own and a storage directory of the test's, so that the test can
// stop it and start it again.
package natstest

import (
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a NATS server of one test.
type Server struct {
	tb   testing.TB
	opts server.Options
	srv  *server.Server
}

// Start runs a NATS server with JetStream on a free loopback port; it is
// shut down when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{tb: tb, opts: server.Options{
		ServerName: "test", Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: tb.TempDir(),
		NoLog: true, NoSigs: true,
	}}
	s.Restart()
	tb.Cleanup(s.Stop)
	return s
}

// URL is the server's client URL; it stays the same across restarts.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.opts.Port) }

// Stop shuts the server down; what JetStream stored stays on disk.
func (s *Server) Stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		s.srv = nil
	}
}

// Restart starts the server (again), on the same port and storage.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	opts := s.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		s.tb.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.tb.Fatal("nats server did not start")
	}
	s.srv = srv
}

// StartOld runs the nats-server program on the PATH with JetStream on a
// free loopback port, when it is older than 2.10 (as Debian 12's 2.9), a
// NATS that drops the metadata of streams and buckets; else the test is
// skipped. The server stops when the test ends.
func StartOld(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		tb.Skip("no nats-server program on the PATH")
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		tb.Skipf("%s --version: %v", bin, err)
	}
	m := regexp.MustCompile(`v(\d+)\.(\d+)\.`).FindStringSubmatch(string(out))
	if m == nil {
		tb.Skipf("%s --version: %q", bin, out)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major > 2 || (major == 2 && minor >= 10) {
		tb.Skipf("nats-server on the PATH is %s, not older than 2.10", strings.TrimSpace(string(out)))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-sd", tb.TempDir())
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not listen on %s", bin, addr)
		}
	}
	return "nats://" + addr
}

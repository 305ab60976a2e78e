// Package natstest runs a NATS server with JetStream inside a test, on a
// port of its own and a storage directory of the test's, so that the test can
// stop it and start it again.
package natstest

import (
	"net"
	"strconv"
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

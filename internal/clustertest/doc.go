// Package clustertest runs Safeguard as a cluster of real processes and
// checks it from outside: several "safeguard serve" processes built from
// this tree, one PostgreSQL schema, and a NATS JetStream server of the
// test's own, also a process, so that a test can kill and restart any of
// them. Its tests and benchmarks are all in _test.go files; they need
// SAFEGUARD_TEST_POSTGRES, and the tests run only with
// SAFEGUARD_TEST_CLUSTER=1 (a step of its own in CI), as they build two
// binaries and take a minute or more:
//
//	SAFEGUARD_TEST_CLUSTER=1 go test -count=1 ./internal/clustertest
//
// docs/scaling.md says what the tests show and docs/benchmarks.md what the
// benchmark measured.
package clustertest

// Package client is the Go SDK of Safeguard's HTTP API (/api/v1): the v1 wire
// types that the server and its clients share, and typed calls for every
// endpoint. It depends on the standard library only, so that other programs —
// and a browser client built for WebAssembly — can use it.
package client

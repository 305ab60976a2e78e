module github.com/safeguard-dev/safeguard

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/crypto v0.58.0
	maunium.net/go/mautrix v0.32.0
)

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	go.mau.fi/util v0.11.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

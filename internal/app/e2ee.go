package app

// The app's end-to-end encryption is package client/secure compiled to
// WebAssembly (./wasm), loaded by static/js/e2ee.js only when an encrypted
// chat opens. gen_e2ee.go builds it into static/e2ee; the built files are
// committed, and TestE2EEAssetsCurrent checks they match the source.
//go:generate go run gen_e2ee.go

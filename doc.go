// Package safeguard holds the vocabulary of Safeguard, a messaging platform in
// which end-to-end encryption and child protection coexist: accounts and their
// age bands, contacts, conversations, messages and media, the events that flow
// between the parts, and the kinds of error every part speaks in.
//
// The package depends on the standard library only. The rules of the platform
// (who may reach whom, what may be end-to-end encrypted) live in
// internal/policy; the use cases in internal/messaging; storage behind the
// contract in internal/store. See docs/architecture.md for the map.
package safeguard

// Package e2ee holds the end-to-end encryption building blocks of the
// Safeguard client: what a device of a verified adult uses to talk in an
// end-to-end encrypted conversation, built on goolm, the pure-Go Olm and
// Megolm of mautrix-go.
//
//   - A [Device] owns an Olm account: Curve25519 and Ed25519 identity keys,
//     published as a self-signed [DeviceKeys] document, and signed
//     one-time and fallback keys ([OneTimeKey]) for peers to claim.
//   - Peers' identity keys are pinned on first use ([Device.TrustKeys]);
//     a changed key is refused with [ErrIdentityChanged] until the users
//     compare a [SafetyNumber] and accept it.
//   - Pairwise Olm sessions ([Device.StartSession], [Device.EncryptDirect],
//     [Device.DecryptDirect]) carry Megolm group keys between devices.
//   - Conversation messages are encrypted once per sender with a Megolm
//     group session ([Device.EncryptGroup], [Device.DecryptGroup]) and
//     travel in a versioned binary [GroupEnvelope]. The session is rotated
//     when the member devices change, so added members read only later
//     messages and removed members none. Replays, changed ciphertexts and
//     changed headers are refused.
//   - Every message is franked (package franking): the envelope carries the
//     commitment, the plaintext carries the key, and DecryptGroup checks
//     one against the other before returning anything.
//   - Attachments are encrypted with a fresh AES-256-GCM key
//     ([EncryptAttachment]); key, nonce, plaintext SHA-256 and blob id
//     travel inside the message.
//   - The whole device state is persisted only sealed under a passphrase
//     (argon2id and XChaCha20-Poly1305: [Device.Seal], [Device.Save],
//     [Load]).
//
// The package has no network code and no server: the Go SDK moves the
// envelopes. It builds for GOOS=js GOARCH=wasm. docs/e2ee.md describes the
// wire formats, the key lifecycle and what the server can and cannot see.
package e2ee

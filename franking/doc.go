// Package franking implements message franking for end-to-end encrypted
// conversations: the way a recipient can prove to the server what a sender
// wrote, although the server never saw the plaintext.
//
// The construction follows Facebook's message franking with the 2018 fix for
// attachments:
//
//  1. The sender picks a fresh random key kf (32 bytes) and computes the
//     commitment cf = HMAC-SHA256(kf, "commit" ‖ M), where M is the canonical
//     encoding of the message (see [Message.MarshalBinary]): the text and, for
//     every attachment, its plaintext SHA-256, its key and its blob id. kf and
//     M travel inside the ciphertext; cf travels beside it.
//  2. The server, which sees cf but not M, binds it to the delivery context
//     with a receipt r = HMAC-SHA256(K[kid], "receipt" ‖ cf ‖ ctx) (see
//     [Signer.Stamp]), where ctx is the canonical encoding of the sender
//     account and device, the recipient account, the conversation, the server
//     time and the message id ([Context.MarshalBinary]). K[kid] is a server
//     key from a rotating [KeyRing]. The server stores nothing per message.
//  3. The recipient checks cf against the decrypted M and kf ([Verify]) — and
//     each attachment's hash after decrypting it — before showing anything.
//  4. To report, the recipient reveals (M, kf, r, ctx) as a [Report]; the
//     server recomputes cf and r ([Verifier.Verify]). Altered text, another
//     sender, a wrong kf, an unknown or dropped server key, a report past the
//     window and a receipt reported twice are each refused with their own
//     error.
//
// Server keys older than the report window are dropped from the key ring, so
// receipts older than the window can no longer be verified by anyone: a
// report must be made within the window.
//
// The package depends only on the standard library and the root safeguard
// package (for its error kinds), so clients built for WebAssembly use it too.
package franking

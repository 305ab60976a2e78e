// Package banks administers the hash banks: creating them, importing lists
// (parsed by internal/hashbank/listfmt) and hashes added by hand, removing
// entries, enabling and disabling banks, each change committed at a new bank
// generation and audited. The image scanner (internal/safety/images) picks
// the changes up; Deps.Changed tells it at once.
package banks

// Package risk scores conversations that include a minor for grooming and
// sextortion risk, message by message, as they happen.
//
// It is pure: no storage, no network. The caller (the safety pipeline, or the
// replay tool) passes the accounts' facts ([Member]), the new [Message] and the
// conversation's small, serialisable state ([Conversation]); [Engine.Score]
// updates the state and returns a [Verdict] that says whether an enforced rule
// fired, which rules and which signals (each with the message index and the
// pattern that matched, so an alert explains itself), which support notice the
// child should see, and the version of the rule set that decided.
//
// Text signals come from lexicons: data files of word classes, patterns and
// exceptions (an embedded default, plus any the operator adds), matched over
// normalised chat text (NFKC folding, de-leeting, collapsed repeats, slang and
// typo correction, negation and context windows). Rules are CEL expressions
// over the signals and the accounts' facts, kept in rule files with a severity,
// a category and a mode: enforce, or shadow (evaluated and counted, no
// action). A rule set is versioned by the SHA-256 of its canonical files.
// See docs/risk.md and docs/risk-rules.md.
package risk

// Package platform counts the platform's own work for publication: the cases
// it opened and the reports it made to law enforcement, by police force area
// (the child's; with no identified child, the reported user's), app, period,
// detection source and priority, as stats tables with small counts
// suppressed; the same counts beside an imported police return; what each
// encryption policy would have cost (the cases that depended on content the
// server could see only because a conversation was not end-to-end
// encrypted); and the transparency report.
//
// Every figure is computed from what the platform recorded when it happened
// — each detection keeps the conversation's encryption and every member's
// age band and assurance — never from assumed rates. Gather reads those
// facts from the store into Case values; the rest of the package is pure.
// See docs/statistics.md.
package platform

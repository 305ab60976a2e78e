package moderators

import safeguard "github.com/safeguard-dev/safeguard"

// Permission is one thing a moderator may do in the console. Authorization
// is decided here, once: the console asks Can before it shows a page or
// acts.
type Permission string

// The permissions, with the least role that has each in Matrix.
const (
	// ViewCases: the queue and the case pages (a case whose sender is a
	// young person needs MinorSenderCases as well).
	ViewCases Permission = "view_cases"
	// ReviewCases: claim a case and decide it.
	ReviewCases Permission = "review_cases"
	// RevealEvidence: see a preserved item as it is — the original image,
	// the conversation — one at a time, each read recorded with a reason.
	RevealEvidence Permission = "reveal_evidence"
	// ExportReports: download a case's law-enforcement report package.
	ExportReports Permission = "export_reports"
	// MinorSenderCases: open, reveal and decide cases whose sender is a
	// young person (a child to safeguard first).
	MinorSenderCases Permission = "minor_sender_cases"
	// DecideAppeals: decide an appeal, never against one's own decision.
	DecideAppeals Permission = "decide_appeals"
	// CloseReported: close a case whose law-enforcement report no longer
	// needs it open.
	CloseReported Permission = "close_reported"
	// LegalHold: place or lift a legal hold on a case's evidence.
	LegalHold Permission = "legal_hold"
	// ManageModerators: add, disable and enable moderators and change roles.
	ManageModerators Permission = "manage_moderators"
)

// Grant is one row of the role matrix: a permission, the least role that
// has it, and what it allows in plain words.
type Grant struct {
	Permission Permission
	Least      safeguard.ModeratorRole
	Words      string
}

// Matrix is the role matrix, in the order docs/console.md shows it.
var Matrix = []Grant{
	{ViewCases, safeguard.RoleModerator, "See the queue and case pages"},
	{ReviewCases, safeguard.RoleModerator, "Claim and decide cases"},
	{RevealEvidence, safeguard.RoleModerator, "Reveal evidence (each reveal recorded with a reason)"},
	{ExportReports, safeguard.RoleModerator, "Download a report package"},
	{MinorSenderCases, safeguard.RoleSenior, "Open and decide cases whose sender is a young person"},
	{DecideAppeals, safeguard.RoleSenior, "Decide appeals (never against their own decision)"},
	{CloseReported, safeguard.RoleSenior, "Close a reported case"},
	{LegalHold, safeguard.RoleAdmin, "Place or lift a legal hold"},
	{ManageModerators, safeguard.RoleAdmin, "Add, disable and enable moderators, change roles"},
}

// Can reports whether a moderator with role may do p. An unknown role or
// permission may do nothing.
func Can(role safeguard.ModeratorRole, p Permission) bool {
	for _, g := range Matrix {
		if g.Permission == p {
			return role.AtLeast(g.Least)
		}
	}
	return false
}

package platform

import (
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

var (
	bedford   = Area{Code: "E23000026", Name: "Bedfordshire"}
	cambs     = Area{Code: "E23000023", Name: "Cambridgeshire"}
	q3        = Period{Label: "2026-Q3", From: day(2026, 7, 1), To: day(2026, 10, 1)}
	countedAt = time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)
)

// Members recorded by detections: a teen and an unverified adult, or two
// verified adults.
var (
	teenAndAdult = []safeguard.MemberFacts{
		{AccountID: 1, Band: safeguard.Adult, Assurance: safeguard.SelfDeclared},
		{AccountID: 2, Band: safeguard.Teen, Assurance: safeguard.SelfDeclared},
	}
	verifiedAdults = []safeguard.MemberFacts{
		{AccountID: 1, Band: safeguard.Adult, Assurance: safeguard.Verified},
		{AccountID: 3, Band: safeguard.Adult, Assurance: safeguard.Verified},
	}
)

// mk makes a case opened at opened in area, through app, found by src at
// priority prio, with one detection of the same source in a plain
// conversation between a teen and an adult.
func mk(id int64, area Area, app string, src safeguard.DetectionSource, prio int, opened time.Time) Case {
	return Case{ID: id, Opened: opened, Detected: opened.Add(-time.Minute), Source: src, Priority: prio, Area: area,
		AreaOf: AreaOfChild, App: app, Status: safeguard.CaseOpen,
		Detections: []Detection{{Source: src, At: opened.Add(-time.Minute), ConversationID: 10 + id, SenderID: 1, Members: teenAndAdult}}}
}

// reported marks c reported at t with a first report of its priority to
// the NCA.
func reported(c Case, t time.Time) Case {
	c.Status, c.Decision, c.DecidedAt, c.ReportedAt, c.FirstReview = safeguard.CaseReported, safeguard.ReportLE, t, t, t.Add(-time.Hour)
	c.Reports = append(c.Reports, Report{Reference: "SG-TEST-" + strconv.FormatInt(c.ID, 10), Destination: "file-export", Priority: c.Priority, Test: true, SubmittedAt: t})
	return c
}

// fixture is a quarter of cases in two police force areas and two apps:
//
//	Bedfordshire   chat: 3 image matches (priority 1, one reported), 1 user report (priority 3)
//	               kids: 2 risk alerts (priority 2)
//	Cambridgeshire chat: 4 user reports (priority 3, one reported), 1 URL match (priority 2)
//	               kids: 1 image match (priority 1)
//	not recorded   chat: 1 user report (priority 3)
//
// and one case opened the day before the quarter, which no table counts.
func fixture() []Case {
	at := func(d int) time.Time { return day(2026, 7, d).Add(10 * time.Hour) }
	cs := []Case{
		reported(mk(1, bedford, "chat", safeguard.HashMatch, 1, at(1)), at(2)),
		mk(2, bedford, "chat", safeguard.HashMatch, 1, at(3)),
		mk(3, bedford, "chat", safeguard.HashMatch, 1, at(4)),
		mk(4, bedford, "chat", safeguard.UserReport, 3, at(5)),
		mk(5, bedford, "kids", safeguard.RiskRule, 2, at(6)),
		mk(6, bedford, "kids", safeguard.RiskRule, 2, at(7)),
		reported(mk(7, cambs, "chat", safeguard.UserReport, 3, at(8)), at(10)),
		mk(8, cambs, "chat", safeguard.UserReport, 3, at(9)),
		mk(9, cambs, "chat", safeguard.UserReport, 3, at(10)),
		mk(10, cambs, "chat", safeguard.UserReport, 3, at(11)),
		mk(11, cambs, "chat", safeguard.URLMatch, 2, at(12)),
		mk(12, cambs, "kids", safeguard.HashMatch, 1, at(13)),
		mk(13, Area{}, "chat", safeguard.UserReport, 3, at(14)),
		mk(14, bedford, "chat", safeguard.HashMatch, 1, day(2026, 6, 30)),
	}
	cs[12].AreaOf = AreaOfNobody
	return cs
}

package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// caseData is what the case page shows.
type caseData struct {
	*cases.CaseView
	Sender       person
	Conversation *conversationView
	Facts        []string // the facts the priority was assessed from, in words
	Findings     []findingRow
	Occurrences  []occurrenceRow
	Images       []evidenceRow // preserved images, shown first
	Records      []evidenceRow // everything else
	Reads        []readRow
	Appeals      []appealRow
	Decisions    []decisionOption
	May          may
	Shown        bool // an item is revealed on this page
}

// may is what the moderator may do on the page.
type may struct {
	Claim, Decide, Reveal, Export, Close, Hold, Appeals bool
	Retry, Submitted                                    bool // retry a failed report; record a manual submission
	Draft                                               bool // an export is a draft: the case is not decided for a report
	SeniorOnly                                          bool // the case needs a senior moderator, who is not this one
}

type person struct {
	ID        int64
	Handle    string
	Band      safeguard.AgeBand
	Assurance safeguard.Assurance
	Status    safeguard.AccountStatus
	Known     bool
}

type findingRow struct {
	N           int // occurrence number
	Detection   *safeguard.Detection
	Summary     string // what the check found, in words
	Findings    Findings
	ReasonWords string
	Unreadable  string
}

type occurrenceRow struct {
	N          int
	O          safeguard.Occurrence
	Number     int // the message's number in its conversation, from 1, when a finding says it
	Recipients []person
}

type evidenceRow struct {
	E        safeguard.EvidenceEntry
	Label    string
	Image    bool
	Deleted  bool
	Revealed *revealed
	Token    string // the grant, for the original's URL
}

type readRow struct {
	safeguard.EvidenceRead
	Item string
}

type appealRow struct {
	*safeguard.Appeal
	MayDecide bool
	Why       string // why not, in words
}

type decisionOption struct {
	Value safeguard.Decision
	Label string
	Hint  string
}

// decisionOptions are the decisions, most serious first, each with what it
// does.
var decisionOptions = []decisionOption{
	{safeguard.ReportLE, "Report to law enforcement",
		"Builds the report package (NCA report, NCMEC CyberTipline report, evidence) and files it. The case stays open to the sender's appeals and notices until the report is closed."},
	{safeguard.Ban, "Ban the sender", "Suspends the account for good, ends their sessions and holds back the messages in this case."},
	{safeguard.Suspend, "Suspend the sender", "Suspends the account (they can appeal), ends their sessions and holds back the messages."},
	{safeguard.RemoveContent, "Remove the content", "Holds back the messages in this case. The account stays active."},
	{safeguard.Warn, "Warn the sender", "Sends the sender a decision notice. Nothing is removed."},
	{safeguard.NoViolation, "No violation", "Closes the case. Nothing is done."},
}

// factWords says what each priority fact means.
var factWords = map[string]string{
	string(lawreport.SignalSextortionOngoing):     "Sextortion in progress",
	string(lawreport.SignalMeetingArranged):       "A meeting arranged or proposed",
	string(lawreport.SignalOngoingContact):        "The sender and a young person are in contact",
	string(lawreport.SignalSelfHarm):              "Risk of self-harm",
	string(lawreport.SignalImmediateDanger):       "A child in immediate danger (moderator's finding)",
	string(lawreport.SignalImageRequest):          "Asked a young person for images",
	string(lawreport.SignalAgeDeception):          "Lying about age",
	string(lawreport.SignalNudeImageToChild):      "An adult sent a young person an image that may show nudity",
	string(lawreport.SignalChildNudeImageToAdult): "A young person sent an adult an image that may show nudity",
}

func (h *handler) casePage(w http.ResponseWriter, r *http.Request, rq *request) {
	ids, err := pathIDs(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	notice := doneWords[r.URL.Query().Get("done")]
	h.showCase(w, r, rq, ids[0], http.StatusOK, notice, "")
}

// showCase renders the case page, with a notice of what was just done or
// an error about what was just tried.
func (h *handler) showCase(w http.ResponseWriter, r *http.Request, rq *request, id int64, code int, notice, errMsg string) {
	ctx := r.Context()
	if _, err := h.caseFor(ctx, rq, id); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	v, err := h.Cases.Case(ctx, id)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d, err := h.caseData(ctx, rq, v, r.URL.Query()["shown"])
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	p := h.base(rq, "Case "+strconv.FormatInt(id, 10), "queue")
	p.Notice, p.Error, p.Data = notice, errMsg, d
	h.render(w, r, code, "case", p)
}

// caseData gathers the page: the accounts behind the IDs, the detections'
// findings, the evidence with any item revealed to this session.
func (h *handler) caseData(ctx context.Context, rq *request, v *cases.CaseView, shown []string) (*caseData, error) {
	c := v.Case
	d := &caseData{CaseView: v, Decisions: decisionOptions, Facts: factsOf(c.Signals), May: mayOn(rq, c)}
	dets, accounts, err := h.casePeople(ctx, v)
	if err != nil {
		return nil, err
	}
	ppl := people{accounts: accounts, now: h.clock()}
	d.Sender = ppl.who(c.SenderID, nil)
	caseMessages, numbers := d.addOccurrences(v, dets, ppl)
	thread, item, err := h.grantsOf(ctx, rq, c.ID, shown)
	if err != nil {
		return nil, err
	}
	d.Conversation = h.conversationOf(d, thread, numbers, ppl)
	h.addEvidence(ctx, d, rq, v, accounts, item, caseMessages)
	d.addAppeals(v, rq)
	return d, nil
}

// factsOf says a case's signals in words.
func factsOf(signals []string) []string {
	var facts []string
	for _, f := range signals {
		if w, ok := factWords[f]; ok {
			facts = append(facts, w)
		} else {
			facts = append(facts, words(f))
		}
	}
	return facts
}

// mayOn says what the moderator of rq may do on case c.
func mayOn(rq *request, c *safeguard.Case) may {
	m := rq.moderator()
	return may{
		Claim:  c.Status == safeguard.CaseOpen && m.Can(moderators.ReviewCases),
		Decide: (c.Status == safeguard.CaseOpen || c.Status == safeguard.CaseInReview) && m.Can(moderators.ReviewCases) && m.MayDecide(c),
		Reveal: m.Can(moderators.RevealEvidence),
		Export: m.Can(moderators.ExportReports),
		Close:  (c.Status == safeguard.CaseReported || c.Status == safeguard.CaseDecided) && m.Can(moderators.CloseReported),
		Retry: (c.Status == safeguard.CaseReportFailed || c.Status == safeguard.CaseDecided && c.Decision == safeguard.ReportLE) &&
			m.Can(moderators.ReviewCases) && m.MayDecide(c),
		Submitted:  c.Status == safeguard.CaseAwaitingSubmission && m.Can(moderators.ReviewCases) && m.MayDecide(c),
		Draft:      c.Decision != safeguard.ReportLE,
		Hold:       m.Can(moderators.LegalHold),
		Appeals:    m.Can(moderators.DecideAppeals),
		SeniorOnly: !m.MayDecide(c),
	}
}

// casePeople reads, in one read, the case's detections and the accounts its
// occurrences and evidence name.
func (h *handler) casePeople(ctx context.Context, v *cases.CaseView) (map[int64]*safeguard.Detection, map[int64]*safeguard.Account, error) {
	want := []int64{v.Case.SenderID}
	for _, o := range v.Occurrences {
		want = append(want, o.RecipientIDs...)
	}
	for _, e := range v.Evidence {
		if id, ok := refID(e.Ref, "account"); ok {
			want = append(want, id)
		} else if id, ok := refID(e.Ref, "connections"); ok {
			want = append(want, id)
		}
	}
	return h.Cases.Parties(ctx, v.Occurrences, want)
}

// people describes the accounts a case page names, as of now.
type people struct {
	accounts map[int64]*safeguard.Account
	now      time.Time
}

// who describes account id, with its age band as facts recorded it at
// detection when they did.
func (p people) who(id int64, facts []safeguard.MemberFacts) person {
	r := person{ID: id}
	if a := p.accounts[id]; a != nil {
		r.Handle, r.Band, r.Assurance, r.Status, r.Known = a.Handle, a.Band(p.now), a.Assurance, a.Status, true
	}
	for _, f := range facts {
		if f.AccountID == id && f.Band.Valid() {
			r.Band = f.Band // as it was at detection
		}
	}
	return r
}

// addOccurrences adds a row per occurrence and per detection's findings, and
// returns the IDs of the messages the case is about, with the number (from
// 1) of each in its conversation when a finding says it.
func (d *caseData) addOccurrences(v *cases.CaseView, dets map[int64]*safeguard.Detection, ppl people) (map[int64]bool, map[int64]int) {
	reasonText := map[string]string{}
	for _, rs := range cases.Reasons() {
		reasonText[rs.Code] = rs.Text
	}
	caseMessages, numbers := map[int64]bool{}, map[int64]int{}
	for i, o := range v.Occurrences {
		det := dets[o.DetectionID]
		row := occurrenceRow{N: i + 1, O: o}
		for _, id := range o.RecipientIDs {
			row.Recipients = append(row.Recipients, ppl.who(id, det.Members))
		}
		d.Occurrences = append(d.Occurrences, row)
		if o.MessageID != 0 {
			caseMessages[o.MessageID] = true
		}
		fr := findingRow{N: i + 1, Detection: det, Summary: det.Summary}
		if f, err := FindingsOf(det); err != nil {
			fr.Unreadable = safeguard.ErrorMessage(err)
		} else {
			fr.Findings = f
			fr.ReasonWords = reasonText[f.Reason]
			if s := f.Sentence(); s != "" {
				fr.Summary = s
			}
			if f.MessageIndex != nil && *f.MessageIndex >= 0 && o.MessageID != 0 {
				numbers[o.MessageID] = *f.MessageIndex + 1
				d.Occurrences[len(d.Occurrences)-1].Number = *f.MessageIndex + 1
			}
		}
		d.Findings = append(d.Findings, fr)
	}
	return caseMessages, numbers
}

// addEvidence adds the evidence items, with the item revealed to this
// session, if any, and who read which.
func (h *handler) addEvidence(ctx context.Context, d *caseData, rq *request, v *cases.CaseView, accounts map[int64]*safeguard.Account, gr *grant, caseMessages map[int64]bool) {
	deleted := map[int64]bool{}
	for _, e := range v.Evidence {
		if e.Kind == safeguard.EvidenceTombstone {
			deleted[e.Target] = true
		}
	}
	labels := map[int64]string{}
	for _, e := range v.Evidence {
		if e.Kind != safeguard.EvidenceItem {
			continue
		}
		row := evidenceRow{E: e, Label: itemLabel(e, accounts), Image: isImage(&e), Deleted: deleted[e.Seq]}
		labels[e.Seq] = row.Label
		if gr != nil && gr.entry.Seq == e.Seq && !row.Deleted {
			row.Revealed = h.revealed(ctx, gr, caseMessages)
			row.Token = gr.token
			d.Shown = true
		}
		if row.Image {
			d.Images = append(d.Images, row)
		} else {
			d.Records = append(d.Records, row)
		}
	}
	for _, rd := range v.Reads {
		d.Reads = append(d.Reads, readRow{EvidenceRead: rd, Item: readItem(rd, labels)})
	}
}

// readItem says what a read opened: one item, or the conversation as one
// thread, with the entries it was read from.
func readItem(rd safeguard.EvidenceRead, labels map[int64]string) string {
	if len(rd.Covers) == 0 {
		return fmt.Sprintf("%s (entry %d)", labels[rd.Seq], rd.Seq)
	}
	seqs := []string{strconv.FormatInt(rd.Seq, 10)}
	for _, s := range rd.Covers {
		seqs = append(seqs, strconv.FormatInt(s, 10))
	}
	return "The conversation, as one thread (entries " + strings.Join(seqs, ", ") + ")"
}

// addAppeals adds the case's appeals, each with whether this moderator may
// decide it, or why not. d.May must be set.
func (d *caseData) addAppeals(v *cases.CaseView, rq *request) {
	c := v.Case
	for _, a := range v.Appeals {
		row := appealRow{Appeal: a}
		switch {
		case a.Status != safeguard.AppealOpen:
		case !d.May.Appeals:
			row.Why = "A senior moderator decides appeals."
		case c.DecidedBy != "" && strings.EqualFold(c.DecidedBy, rq.name()):
			row.Why = "You decided this case: another moderator decides the appeal."
		case c.ReportOpen():
			row.Why = "A law-enforcement report is open: the appeal waits until it is closed."
		default:
			row.MayDecide = true
		}
		d.Appeals = append(d.Appeals, row)
	}
}

// refID reads the ID of a reference such as "account:7" or
// "connections:7@12".
func refID(ref, kind string) (int64, bool) {
	rest, ok := strings.CutPrefix(ref, kind+":")
	if !ok {
		return 0, false
	}
	rest, _, _ = strings.Cut(rest, "@")
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// itemLabel says in words what a preserved item is.
func itemLabel(e safeguard.EvidenceEntry, accounts map[int64]*safeguard.Account) string {
	handle := func(kind string) string {
		if id, ok := refID(e.Ref, kind); ok {
			if a := accounts[id]; a != nil {
				return "@" + a.Handle
			}
			return "account " + strconv.FormatInt(id, 10)
		}
		return "an account"
	}
	switch e.ItemKind {
	case "media":
		return "Image"
	case "message":
		return "The message"
	case "context":
		return "The conversation before the detection"
	case "detection":
		return "What the check found"
	case evidence.KindReportedText:
		return "The reported message, as its recipient revealed it (verified by franking)"
	case "account":
		return "Account details of " + handle("account")
	case "connections":
		return "Connections of " + handle("connections") + " (logins and sends, with address and port)"
	case "report":
		return "Receipt of the report " + strings.TrimPrefix(e.Ref, "report:")
	}
	return words(e.ItemKind)
}

// doneWords are the notices shown after an action, by the code the
// redirect carries.
var doneWords = map[string]string{
	"claimed":       "You claimed this case.",
	"decided":       "Your decision is recorded.",
	"reported":      "Your decision is recorded and the report has been filed.",
	"report-failed": "Your decision is recorded, but the report could not be filed. The reason is below: fix it and retry the report.",
	"awaiting":      "Your decision is recorded. The report package is exported for a person to submit by hand: record the submission here once it is done.",
	"retried":       "The report has been filed.",
	"submitted":     "The submission is recorded: the case is reported.",
	"closed":        "The case is closed.",
	"hold-on":       "The legal hold is placed: nothing in this case will be deleted while it lasts.",
	"hold-off":      "The legal hold is lifted.",
	"appeal":        "The appeal is decided.",
	"hidden":        "The item is hidden again.",
}

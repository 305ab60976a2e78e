package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
)

// OnCallDeclarant makes the declaration of a report filed at once by the
// priority 1 rule, before a moderator has seen the case.
const OnCallDeclarant = "Safeguard on-call (priority 1 rule)"

// Reference returns the report reference of a case: SG-YYYY-NNNNNN, with
// TEST for test reports; follow-ups add -F2, -F3, ….
func Reference(caseID int64, test bool, at time.Time) string {
	if test {
		return fmt.Sprintf("SG-TEST-%d-%06d", at.Year(), caseID)
	}
	return fmt.Sprintf("SG-%d-%06d", at.Year(), caseID)
}

// prepare builds the report package of a priority 1 case at once and, with
// a Prepare or PrepareDir, exports it there, ready for the moderator's decision to
// file it.
func (s *Service) prepare(ctx context.Context, caseID int64) (*lawreport.Package, error) {
	var c *safeguard.Case
	if err := viewTx(ctx, s.Store, func(tx Tx) (err error) { c, err = tx.Case(ctx, caseID); return }); err != nil {
		return nil, err
	}
	if c.ReportReference != "" {
		return nil, nil
	}
	inc, _, err := s.incident(ctx, c, OnCallDeclarant, false)
	if err != nil {
		return nil, err
	}
	inc.Reference = Reference(c.ID, s.cfg.TestReports, c.CreatedAt)
	pkg, err := s.Builder.Build(inc)
	if err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]any{"reference": pkg.Reference, "priority": pkg.Priority.Level})
	prep := s.Prepare
	if prep == nil && s.cfg.PrepareDir != "" {
		prep = &lawreport.FileExport{Dir: s.cfg.PrepareDir, Now: s.Now, Logger: s.Log}
	}
	if prep != nil {
		if _, err := prep.Submit(ctx, pkg); err != nil {
			return nil, err
		}
	}
	return pkg, updateTx(ctx, s.Store, func(tx Tx) error {
		return event(ctx, tx, c, s.clock(), "system", "package_prepared", c.Status, pkg.Reference, detail)
	})
}

// followUp files a report of the occurrences no report has included yet,
// referring to the case's first report.
func (s *Service) followUp(ctx context.Context, caseID int64) (*lawreport.Receipt, error) {
	return s.fileReport(ctx, caseID, OnCallDeclarant, true)
}

// file builds and submits a report for the case: its first report, or a
// follow-up of the occurrences not yet reported. It records the report,
// marks the occurrences, and moves the case to reported.
func (s *Service) file(ctx context.Context, caseID int64, who string, followUp bool) (*lawreport.Receipt, error) {
	var c *safeguard.Case
	var reports []safeguard.CaseReport
	err := viewTx(ctx, s.Store, func(tx Tx) (err error) {
		if c, err = tx.Case(ctx, caseID); err != nil {
			return err
		}
		reports, err = tx.CaseReports(ctx, caseID)
		return err
	})
	if err != nil {
		return nil, err
	}
	first := c.ReportReference
	ref := Reference(c.ID, s.cfg.TestReports, c.CreatedAt)
	if first != "" {
		if !followUp {
			return nil, nil // already reported; follow-ups carry what is new
		}
		ref = fmt.Sprintf("%s-F%d", first, len(reports)+1)
	}
	inc, occIDs, err := s.incident(ctx, c, who, first != "")
	if err != nil {
		return nil, err
	}
	if len(occIDs) == 0 {
		return nil, nil
	}
	inc.Reference = ref
	if first != "" {
		inc.FollowUpOf = first
	}
	pkg, err := s.Builder.Build(inc)
	if err != nil {
		return nil, fmt.Errorf("build report %s: %w", ref, err)
	}
	rec, err := s.Submitter.Submit(ctx, pkg)
	if err != nil {
		return nil, fmt.Errorf("submit report %s: %w", ref, err)
	}
	if s.cfg.ManualSubmission {
		return &rec, s.recordExported(ctx, caseID, who, pkg, rec, occIDs)
	}
	return s.recordFiled(ctx, caseID, who, pkg, rec, occIDs)
}

// recordFiled records a report filed: the receipt in the vault, the report,
// the occurrences it included, and the case reported.
func (s *Service) recordFiled(ctx context.Context, caseID int64, who string, pkg *lawreport.Package, rec lawreport.Receipt, occIDs []int64) (*lawreport.Receipt, error) {
	now, ref := s.clock(), pkg.Reference
	receipt, _ := json.Marshal(rec)
	stagedRef, err := s.Vault.Stage(ctx, []evidenceItem{{Kind: "report", Ref: "report:" + ref, ContentType: "application/json",
		Class: safeguard.RetainReference, Data: receipt}})
	if err != nil {
		return nil, err
	}
	err = updateTx(ctx, s.Store, func(tx Tx) error {
		c, err := tx.Case(ctx, caseID)
		if err != nil {
			return err
		}
		err = tx.AddCaseReport(ctx, &safeguard.CaseReport{CaseID: c.ID, Reference: ref, FollowUpOf: pkg.FollowUpOf,
			Destination: rec.Destination, ReceiptID: rec.ID, Priority: pkg.Priority.Level, Test: pkg.Test,
			SubmittedAt: now, Receipt: receipt})
		if errors.Is(err, safeguard.ErrConflict) {
			return errSeen // filed before: the Submitter returned the earlier receipt
		}
		if err != nil {
			return err
		}
		if err := tx.SetOccurrenceReport(ctx, occIDs, ref); err != nil {
			return err
		}
		if _, err := s.Vault.Append(ctx, tx, c.ID, stagedRef); err != nil {
			return err
		}
		from := c.Status
		if c.ReportReference == "" {
			c.ReportReference, c.ReportedAt = ref, now
		}
		c.Status, c.UpdatedAt = safeguard.CaseReported, now
		detail, _ := json.Marshal(map[string]any{"reference": ref, "follow_up_of": pkg.FollowUpOf, "destination": rec.Destination,
			"priority": pkg.Priority.Level, "test": pkg.Test, "occurrences": len(occIDs)})
		if err := event(ctx, tx, c, now, who, "reported", from, ref, detail); err != nil {
			return err
		}
		return tx.UpdateCase(ctx, c)
	})
	if errors.Is(err, errSeen) {
		s.Vault.Discard(ctx, stagedRef)
		return &rec, nil
	}
	if err != nil {
		s.Vault.Discard(ctx, stagedRef)
		return nil, err
	}
	s.Log.InfoContext(ctx, "cases: report filed", "case", caseID, "reference", ref, "priority", pkg.Priority.Level, "test", pkg.Test)
	return &rec, nil
}

// Export builds the case's report package (all its occurrences, under the
// case's report reference) and writes it to dir for a person to upload,
// without filing anything. Only a case decided for a report has a report to
// export; with draft, any case's package is exported as a draft: stamped
// DRAFT in every document and in its directory's name
// (<reference>-DRAFT-<time>). The evidence it reads is recorded as read by
// who, and the export in the case's timeline.
func (s *Service) Export(ctx context.Context, caseID int64, dir, who string, draft bool) (*lawreport.Package, lawreport.Receipt, error) {
	if who == "" {
		return nil, lawreport.Receipt{}, safeguard.Invalid("moderator_required", "Say who exports the report.")
	}
	var c *safeguard.Case
	if err := viewTx(ctx, s.Store, func(tx Tx) (err error) { c, err = tx.Case(ctx, caseID); return }); err != nil {
		return nil, lawreport.Receipt{}, notFound(caseID)
	}
	if c.Decision != safeguard.ReportLE && !draft {
		return nil, lawreport.Receipt{}, safeguard.Errorf(safeguard.ErrConflict, "report_not_decided",
			"This case is not decided for a law-enforcement report: only a draft of its report can be exported.")
	}
	inc, _, err := s.incident(ctx, c, who, false)
	if err != nil {
		return nil, lawreport.Receipt{}, err
	}
	inc.Reference = c.ReportReference
	if inc.Reference == "" {
		inc.Reference = Reference(c.ID, s.cfg.TestReports, c.CreatedAt)
	}
	if draft {
		inc.Draft = true
		inc.Reference += "-DRAFT-" + s.clock().Format("20060102T150405Z")
	}
	pkg, err := s.Builder.Build(inc)
	if err != nil {
		return nil, lawreport.Receipt{}, err
	}
	fe := &lawreport.FileExport{Dir: dir, Now: s.Now, Logger: s.Log}
	rec, err := fe.Submit(ctx, pkg)
	if err != nil {
		return nil, lawreport.Receipt{}, err
	}
	action := "exported"
	if draft {
		action = "draft_exported"
	}
	err = updateTx(ctx, s.Store, func(tx Tx) error {
		detail, _ := json.Marshal(map[string]any{"reference": pkg.Reference, "dir": rec.ID, "test": pkg.Test, "draft": pkg.Draft})
		return event(ctx, tx, c, s.clock(), who, action, c.Status, pkg.Reference, detail)
	})
	return pkg, rec, err
}

// incident builds the lawreport.Incident of a case from its occurrences,
// the evidence the vault preserved (each read recorded as read by who) and
// the accounts. With onlyNew, only occurrences no report has included yet
// are reported. It returns the IDs of the occurrences included.
func (s *Service) incident(ctx context.Context, c *safeguard.Case, who string, onlyNew bool) (*lawreport.Incident, []int64, error) {
	b := &incidentBuild{s: s, c: c, children: map[int64]bool{}, contentOf: map[int64]int{}}
	if err := b.read(ctx); err != nil {
		return nil, nil, err
	}
	if err := b.readVault(ctx, who); err != nil {
		return nil, nil, err
	}
	b.inc = &lawreport.Incident{
		Test: s.cfg.TestReports, Service: s.cfg.ServiceName, Type: incidentType(c), DetectionSource: detectionSource(c.Source),
		Declaration: lawreport.Declaration{By: who, Role: s.cfg.DeclarationRole, Statement: s.cfg.DeclarationStatement, MadeAt: s.clock()},
	}
	for _, sig := range c.Signals {
		b.inc.Signals = append(b.inc.Signals, lawreport.Signal(sig))
	}
	for _, o := range b.occ {
		if onlyNew && o.ReportReference != "" {
			continue
		}
		b.addOccurrence(o)
	}
	if b.inc.App == "" {
		b.inc.App = safeguard.DefaultApp
	}
	if len(b.included) == 0 {
		return b.inc, nil, nil
	}
	b.inc.Summary = b.summary()
	sender, ok := b.user(c.SenderID)
	if !ok {
		return nil, nil, safeguard.Invalid("no_subject", "This case names no account to report.")
	}
	sender.ConnectedAccounts = b.connectedAccounts()
	b.inc.ReportedUsers = []lawreport.User{sender}
	b.addChildren()
	b.inc.Thread = b.v.thread(b.contentOf)
	return b.inc, b.included, nil
}

// incidentBuild is an incident being built: what it was built from, and
// what it holds so far.
type incidentBuild struct {
	s *Service
	c *safeguard.Case

	// Read from the store.
	decided *safeguard.Case
	occ     []safeguard.Occurrence
	entries []safeguard.EvidenceEntry
	live    map[int64]*safeguard.Account
	pairs   [][2]int64 // the sender's accepted contacts

	v         *vaultView // read from the vault
	inc       *lawreport.Incident
	included  []int64        // occurrences reported
	children  map[int64]bool // minors the included occurrences reached
	contentOf map[int64]int  // message ID → 1-based content index
}

// read reads the case as decided, its occurrences and evidence, the accounts
// they name and the sender's accepted contacts.
func (b *incidentBuild) read(ctx context.Context) error {
	c := b.c
	return viewTx(ctx, b.s.Store, func(tx Tx) (err error) {
		if b.decided, err = tx.Case(ctx, c.ID); err != nil {
			return err
		}
		if b.occ, err = tx.Occurrences(ctx, c.ID); err != nil {
			return err
		}
		if b.entries, err = tx.CaseEvidence(ctx, c.ID); err != nil {
			return err
		}
		ids := []int64{c.SenderID}
		for _, o := range b.occ {
			ids = append(ids, o.RecipientIDs...)
		}
		if b.live, err = tx.AccountsByID(ctx, ids); err != nil {
			return err
		}
		contacts, err := tx.Contacts(ctx, c.SenderID)
		if err != nil {
			return err
		}
		for _, k := range contacts {
			if k.State == safeguard.ContactAccepted {
				b.pairs = append(b.pairs, [2]int64{k.FromID, k.ToID})
			}
		}
		return nil
	})
}

// readVault reads every preserved item not deleted, each read recorded as
// read by who.
func (b *incidentBuild) readVault(ctx context.Context, who string) error {
	why := "law-enforcement report of case " + strconv.FormatInt(b.c.ID, 10)
	b.v = &vaultView{messages: map[int64]messageRecord{}, media: map[string]mediaItem{}, accounts: map[int64]accountRecord{},
		conns: map[int64][]connection{}, detections: map[int64]*safeguard.Detection{}, reported: map[int64]reportedText{}}
	deleted := map[int64]bool{}
	for _, e := range b.entries {
		if e.Kind == safeguard.EvidenceTombstone {
			deleted[e.Target] = true
		}
	}
	for _, e := range b.entries {
		if e.Kind != safeguard.EvidenceItem || deleted[e.Seq] || e.ItemKind == "report" {
			continue
		}
		_, data, err := b.s.Vault.Read(ctx, b.s.Store, b.c.ID, e.Seq, who, why)
		if err != nil {
			return fmt.Errorf("evidence entry %d: %w", e.Seq, err)
		}
		if err := b.v.add(e, data); err != nil {
			return fmt.Errorf("evidence entry %d: %w", e.Seq, err)
		}
	}
	b.v.sentTimes()
	return nil
}

// addOccurrence includes occurrence o: its time, the children it reached,
// and its content unless another occurrence brought the same message.
func (b *incidentBuild) addOccurrence(o safeguard.Occurrence) {
	inc := b.inc
	b.included = append(b.included, o.ID)
	if inc.DetectedAt.IsZero() || o.At.Before(inc.DetectedAt) {
		inc.DetectedAt = o.At
	}
	if d := b.v.detections[o.DetectionID]; d != nil {
		inc.ConversationE2EE = inc.ConversationE2EE || d.ConversationE2EE
	}
	for _, id := range o.RecipientIDs {
		if a := b.live[id]; a != nil && id != b.c.SenderID && a.Band(o.At).Minor() {
			b.children[id] = true
		}
	}
	if t, ok := b.v.reported[o.DetectionID]; ok && b.contentOf[o.MessageID] == 0 {
		// A verified report of an end-to-end encrypted message: the
		// text the reporter revealed, from the vault.
		inc.Content = append(inc.Content, lawreport.Content{SentAt: t.sentAt, Kind: lawreport.KindText,
			ContentType: evidence.ReportedTextType, Data: t.data, EvidenceID: fmt.Sprintf("evidence-%d", t.seq)})
		b.contentOf[o.MessageID] = len(inc.Content)
		return
	}
	m, ok := b.v.messages[o.MessageID]
	if !ok || b.contentOf[m.ID] != 0 {
		return
	}
	if inc.App == "" {
		inc.App = m.App
	}
	if content, ok := b.content(o, m); ok {
		inc.Content = append(inc.Content, content)
		b.contentOf[m.ID] = len(inc.Content)
	}
}

// content is the reported content of message m, which occurrence o found:
// its image or text, and the connection it was sent from. It is false for
// a message of neither kind.
func (b *incidentBuild) content(o safeguard.Occurrence, m messageRecord) (lawreport.Content, bool) {
	content := lawreport.Content{SentAt: m.At, EvidenceID: fmt.Sprintf("case-%d-message-%d", b.c.ID, m.ID)}
	if m.Addr != "" {
		if ip, port, ok := (connection{Addr: m.Addr, Port: m.Port}).lawreport(); ok {
			content.Upload = &lawreport.Connection{IP: ip, Port: port, At: m.At, Event: lawreport.EventSend}
		}
	}
	if mi, ok := b.v.media["media:"+strconv.FormatInt(m.MediaID, 10)]; ok && m.MediaID != 0 {
		content.Kind, content.ContentType, content.Data = lawreport.KindImage, mi.contentType, mi.data
		content.EvidenceID = fmt.Sprintf("evidence-%d", mi.seq)
		if content.Upload != nil {
			content.Upload.Event = lawreport.EventUpload
		}
		if d := b.v.detections[o.DetectionID]; d != nil {
			content.MatchedBanks = bankMatches(d)
			content.PDQ, content.PDQQuality = hashesOf(d)
		}
		return content, true
	}
	if m.Kind == string(safeguard.TextMessage) {
		content.Kind, content.ContentType, content.Data = lawreport.KindText, "text/plain; charset=utf-8", []byte(m.Text)
		return content, true
	}
	return content, false
}

// summary says in a sentence what the report is of.
func (b *incidentBuild) summary() string {
	var held int
	for _, o := range b.occ {
		if o.Held {
			held++
		}
	}
	how := ""
	if b.c.Source == safeguard.NewImage {
		how = " Found by the nudity classifier on a new image, not by a hash match."
	}
	return fmt.Sprintf("%s: %d occurrence(s) of one piece of content from one sender; %d held back from delivery. Case %d, priority %d.%s",
		categoryWords(b.c.Category), len(b.occ), held, b.c.ID, b.c.Priority, how)
}

// status is an account's status as the report states it: banned when the
// case was decided so.
func (b *incidentBuild) status(a *safeguard.Account) lawreport.AccountStatus {
	switch {
	case b.decided.Decision == safeguard.Ban:
		return lawreport.StatusBanned
	case a.Status == safeguard.Suspended:
		return lawreport.StatusSuspended
	}
	return lawreport.StatusActive
}

// user is account id as the report describes it, from the vault's record
// or else the live account, with its connections since the context window
// before detection. It is false when neither knows the account.
func (b *incidentBuild) user(id int64) (lawreport.User, bool) {
	rec, ok := b.v.accounts[id]
	a := b.live[id]
	if !ok && a == nil {
		return lawreport.User{}, false
	}
	if !ok {
		rec = accountOf(a, b.c.CreatedAt)
	}
	u := lawreport.User{AccountID: strconv.FormatInt(id, 10), Handle: rec.Handle, AgeAssurance: safeguard.Assurance(rec.Assurance),
		CreatedAt: rec.CreatedAt, LocalAuthority: rec.LocalAuthority, Status: lawreport.StatusActive}
	u.DateOfBirth, _ = safeguard.ParseDate(rec.BirthDate)
	if rec.PoliceForce != "" {
		u.PoliceForce = lawreport.Force{Code: rec.PoliceForce}
	}
	if a != nil {
		u.Status = b.status(a)
	}
	u.Connections = b.connections(id)
	return u, true
}

// connections are account id's preserved logins and sends from the context
// window before detection on, each once, in time order; with none in the
// window, the last one before it (the last login of a sender who has gone
// quiet or deleted their account).
func (b *incidentBuild) connections(id int64) []lawreport.Connection {
	var out []lawreport.Connection
	seen := map[connection]bool{}
	window := b.inc.DetectedAt.Add(-b.s.cfg.ContextWindow)
	var last *connection
	for _, cn := range b.v.conns[id] {
		if _, _, ok := cn.lawreport(); ok && cn.At.Before(window) && (last == nil || cn.At.After(last.At)) {
			last = &cn
		}
	}
	conns := b.v.conns[id]
	if last != nil && !slices.ContainsFunc(conns, func(cn connection) bool { return !cn.At.Before(window) }) {
		conns = []connection{*last}
		window = last.At
	}
	for _, cn := range conns {
		ip, port, ok := cn.lawreport()
		if !ok || seen[cn] || cn.At.Before(window) {
			continue
		}
		seen[cn] = true
		ev := lawreport.EventLogin
		if cn.Event == "send" {
			ev = lawreport.EventSend
		}
		out = append(out, lawreport.Connection{IP: ip, Port: port, At: cn.At, Event: ev})
	}
	slices.SortFunc(out, func(a, b lawreport.Connection) int { return a.At.Compare(b.At) })
	return out
}

// connectedAccounts are the sender's accepted contacts.
func (b *incidentBuild) connectedAccounts() []lawreport.ConnectedAccount {
	var out []lawreport.ConnectedAccount
	for _, p := range b.pairs {
		other := p[0]
		if other == b.c.SenderID {
			other = p[1]
		}
		ca := lawreport.ConnectedAccount{AccountID: strconv.FormatInt(other, 10), Relation: "contact"}
		if a := b.live[other]; a != nil {
			ca.Handle = a.Handle
		} else if r, ok := b.v.accounts[other]; ok {
			ca.Handle = r.Handle
		}
		out = append(out, ca)
	}
	return out
}

// addChildren adds the children the included occurrences reached, in ID
// order, and the ongoing-contact signal when the sender is a contact of one.
func (b *incidentBuild) addChildren() {
	ids := make([]int64, 0, len(b.children))
	for id := range b.children {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		u, ok := b.user(id)
		if !ok {
			continue
		}
		b.inc.Children = append(b.inc.Children, u)
		for _, p := range b.pairs {
			if p[0] == id || p[1] == id {
				b.inc.Signals = appendSignal(b.inc.Signals, lawreport.SignalOngoingContact)
			}
		}
	}
}

func appendSignal(ss []lawreport.Signal, s lawreport.Signal) []lawreport.Signal {
	if slices.Contains(ss, s) {
		return ss
	}
	return append(ss, s)
}

func categoryWords(c safeguard.Category) string {
	switch c {
	case safeguard.CategoryKnownImage:
		return "A known abuse image (hash bank match)"
	case safeguard.CategorySuspectedImage:
		return "An image reported as one that should not be shared"
	case safeguard.CategoryGrooming:
		return "Grooming risk"
	case safeguard.CategorySextortion:
		return "Sextortion risk"
	case safeguard.CategoryMeeting:
		return "A proposed meeting with a child"
	case safeguard.CategoryNudity:
		return "An image that may show nudity, toward or from a child (nudity classifier)"
	case "":
		return "A report"
	}
	return "A report (" + strings.ReplaceAll(string(c), "_", " ") + ")"
}

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
	"github.com/safeguard-dev/safeguard/internal/store"
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
// a PrepareDir, exports it there, ready for the moderator's decision to
// file it.
func (s *Service) prepare(ctx context.Context, caseID int64) (*lawreport.Package, error) {
	var c *safeguard.Case
	if err := s.Store.View(ctx, func(tx store.Tx) (err error) { c, err = tx.Case(ctx, caseID); return }); err != nil {
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
	if s.cfg.PrepareDir != "" {
		fe := &lawreport.FileExport{Dir: s.cfg.PrepareDir, Now: s.Now, Logger: s.Log}
		if _, err := fe.Submit(ctx, pkg); err != nil {
			return nil, err
		}
	}
	return pkg, s.Store.Update(ctx, func(tx store.Tx) error {
		return event(ctx, tx, c, s.clock(), "system", "package_prepared", c.Status, pkg.Reference, detail)
	})
}

// followUp files a report of the occurrences no report has included yet,
// referring to the case's first report.
func (s *Service) followUp(ctx context.Context, caseID int64) (*lawreport.Receipt, error) {
	return s.file(ctx, caseID, OnCallDeclarant, true)
}

// file builds and submits a report for the case: its first report, or a
// follow-up of the occurrences not yet reported. It records the report,
// marks the occurrences, and moves the case to reported.
func (s *Service) file(ctx context.Context, caseID int64, who string, followUp bool) (*lawreport.Receipt, error) {
	var c *safeguard.Case
	var reports []safeguard.CaseReport
	err := s.Store.View(ctx, func(tx store.Tx) (err error) {
		if c, err = tx.Case(ctx, caseID); err != nil {
			return err
		}
		reports, err = tx.CaseReports(ctx, caseID)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := s.clock()
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
	receipt, _ := json.Marshal(rec)
	stagedRef, err := s.Vault.Stage(ctx, []evidenceItem{{Kind: "report", Ref: "report:" + ref, ContentType: "application/json",
		Class: safeguard.RetainReference, Data: receipt}})
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Case(ctx, caseID)
		if err != nil {
			return err
		}
		err = tx.AddCaseReport(ctx, &safeguard.CaseReport{CaseID: c.ID, Reference: ref, FollowUpOf: inc.FollowUpOf,
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
		detail, _ := json.Marshal(map[string]any{"reference": ref, "follow_up_of": inc.FollowUpOf, "destination": rec.Destination,
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
	s.Log.InfoContext(ctx, "cases: report filed", "case", c.ID, "reference", ref, "priority", pkg.Priority.Level, "test", pkg.Test)
	return &rec, nil
}

// Export builds the case's report package (all its occurrences, under the
// case's report reference) and writes it to dir for a person to upload,
// without filing anything. The evidence it reads is recorded as read by who.
func (s *Service) Export(ctx context.Context, caseID int64, dir, who string) (*lawreport.Package, lawreport.Receipt, error) {
	if who == "" {
		return nil, lawreport.Receipt{}, safeguard.Invalid("moderator_required", "Say who exports the report.")
	}
	var c *safeguard.Case
	if err := s.Store.View(ctx, func(tx store.Tx) (err error) { c, err = tx.Case(ctx, caseID); return }); err != nil {
		return nil, lawreport.Receipt{}, err
	}
	inc, _, err := s.incident(ctx, c, who, false)
	if err != nil {
		return nil, lawreport.Receipt{}, err
	}
	inc.Reference = c.ReportReference
	if inc.Reference == "" {
		inc.Reference = Reference(c.ID, s.cfg.TestReports, c.CreatedAt)
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
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		detail, _ := json.Marshal(map[string]any{"reference": pkg.Reference, "dir": rec.ID, "test": pkg.Test})
		return event(ctx, tx, c, s.clock(), who, "exported", c.Status, pkg.Reference, detail)
	})
	return pkg, rec, err
}

// incident builds the lawreport.Incident of a case from its occurrences,
// the evidence the vault preserved (each read recorded as read by who) and
// the accounts. With onlyNew, only occurrences no report has included yet
// are reported. It returns the IDs of the occurrences included.
func (s *Service) incident(ctx context.Context, c *safeguard.Case, who string, onlyNew bool) (*lawreport.Incident, []int64, error) {
	var (
		occ     []safeguard.Occurrence
		entries []safeguard.EvidenceEntry
		live    map[int64]*safeguard.Account
		pairs   [][2]int64
		decided *safeguard.Case
	)
	err := s.Store.View(ctx, func(tx store.Tx) (err error) {
		if decided, err = tx.Case(ctx, c.ID); err != nil {
			return err
		}
		if occ, err = tx.Occurrences(ctx, c.ID); err != nil {
			return err
		}
		if entries, err = tx.CaseEvidence(ctx, c.ID); err != nil {
			return err
		}
		ids := []int64{c.SenderID}
		for _, o := range occ {
			ids = append(ids, o.RecipientIDs...)
		}
		if live, err = tx.AccountsByID(ctx, ids); err != nil {
			return err
		}
		contacts, err := tx.Contacts(ctx, c.SenderID)
		if err != nil {
			return err
		}
		for _, k := range contacts {
			if k.State == safeguard.ContactAccepted {
				pairs = append(pairs, [2]int64{k.FromID, k.ToID})
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	why := "law-enforcement report of case " + strconv.FormatInt(c.ID, 10)
	v := &vaultView{messages: map[int64]messageRecord{}, media: map[string]mediaItem{}, accounts: map[int64]accountRecord{},
		conns: map[int64][]connection{}, detections: map[int64]*safeguard.Detection{}, reported: map[int64]reportedText{}}
	deleted := map[int64]bool{}
	for _, e := range entries {
		if e.Kind == safeguard.EvidenceTombstone {
			deleted[e.Target] = true
		}
	}
	for _, e := range entries {
		if e.Kind != safeguard.EvidenceItem || deleted[e.Seq] || e.ItemKind == "report" {
			continue
		}
		_, data, err := s.Vault.Read(ctx, s.Store, c.ID, e.Seq, who, why)
		if err != nil {
			return nil, nil, fmt.Errorf("evidence entry %d: %w", e.Seq, err)
		}
		if err := v.add(e, data); err != nil {
			return nil, nil, fmt.Errorf("evidence entry %d: %w", e.Seq, err)
		}
	}

	v.sentTimes()
	inc := &lawreport.Incident{
		Test: s.cfg.TestReports, Service: s.cfg.ServiceName, Type: incidentType(c), DetectionSource: detectionSource(c.Source),
		Declaration: lawreport.Declaration{By: who, Role: s.cfg.DeclarationRole, Statement: s.cfg.DeclarationStatement, MadeAt: s.clock()},
	}
	for _, sig := range c.Signals {
		inc.Signals = append(inc.Signals, lawreport.Signal(sig))
	}
	var included []int64
	children := map[int64]bool{}
	contentOf := map[int64]int{} // message ID → 1-based content index
	for _, o := range occ {
		if onlyNew && o.ReportReference != "" {
			continue
		}
		included = append(included, o.ID)
		if inc.DetectedAt.IsZero() || o.At.Before(inc.DetectedAt) {
			inc.DetectedAt = o.At
		}
		if d := v.detections[o.DetectionID]; d != nil {
			inc.ConversationE2EE = inc.ConversationE2EE || d.ConversationE2EE
		}
		for _, id := range o.RecipientIDs {
			if a := live[id]; a != nil && id != c.SenderID && a.Band(o.At).Minor() {
				children[id] = true
			}
		}
		if t, ok := v.reported[o.DetectionID]; ok && contentOf[o.MessageID] == 0 {
			// A verified report of an end-to-end encrypted message: the
			// text the reporter revealed, from the vault.
			inc.Content = append(inc.Content, lawreport.Content{SentAt: t.sentAt, Kind: lawreport.KindText,
				ContentType: evidence.ReportedTextType, Data: t.data, EvidenceID: fmt.Sprintf("evidence-%d", t.seq)})
			contentOf[o.MessageID] = len(inc.Content)
			continue
		}
		m, ok := v.messages[o.MessageID]
		if !ok || contentOf[m.ID] != 0 {
			continue
		}
		if inc.App == "" {
			inc.App = m.App
		}
		content := lawreport.Content{SentAt: m.At, EvidenceID: fmt.Sprintf("case-%d-message-%d", c.ID, m.ID)}
		if m.Addr != "" {
			if ip, port, ok := (connection{Addr: m.Addr, Port: m.Port}).lawreport(); ok {
				content.Upload = &lawreport.Connection{IP: ip, Port: port, At: m.At, Event: lawreport.EventSend}
			}
		}
		if mi, ok := v.media["media:"+strconv.FormatInt(m.MediaID, 10)]; ok && m.MediaID != 0 {
			content.Kind, content.ContentType, content.Data = lawreport.KindImage, mi.contentType, mi.data
			content.EvidenceID = fmt.Sprintf("evidence-%d", mi.seq)
			if content.Upload != nil {
				content.Upload.Event = lawreport.EventUpload
			}
			if d := v.detections[o.DetectionID]; d != nil {
				content.MatchedBanks = bankMatches(d)
				content.PDQ, content.PDQQuality = hashesOf(d)
			}
		} else if m.Kind == string(safeguard.TextMessage) {
			content.Kind, content.ContentType, content.Data = lawreport.KindText, "text/plain; charset=utf-8", []byte(m.Text)
		} else {
			continue
		}
		inc.Content = append(inc.Content, content)
		contentOf[m.ID] = len(inc.Content)
	}
	if inc.App == "" {
		inc.App = safeguard.DefaultApp
	}
	if len(included) == 0 {
		return inc, nil, nil
	}
	var held int
	for _, o := range occ {
		if o.Held {
			held++
		}
	}
	inc.Summary = fmt.Sprintf("%s: %d occurrence(s) of one piece of content from one sender; %d held back from delivery. Case %d, priority %d.",
		categoryWords(c.Category), len(occ), held, c.ID, c.Priority)

	status := func(a *safeguard.Account) lawreport.AccountStatus {
		switch {
		case decided.Decision == safeguard.Ban:
			return lawreport.StatusBanned
		case a.Status == safeguard.Suspended:
			return lawreport.StatusSuspended
		}
		return lawreport.StatusActive
	}
	user := func(id int64) (lawreport.User, bool) {
		rec, ok := v.accounts[id]
		a := live[id]
		if !ok && a == nil {
			return lawreport.User{}, false
		}
		if !ok {
			rec = accountOf(a)
		}
		u := lawreport.User{AccountID: strconv.FormatInt(id, 10), Handle: rec.Handle, AgeAssurance: safeguard.Assurance(rec.Assurance),
			CreatedAt: rec.CreatedAt, LocalAuthority: rec.LocalAuthority, Status: lawreport.StatusActive}
		u.DateOfBirth, _ = safeguard.ParseDate(rec.BirthDate)
		if rec.PoliceForce != "" {
			u.PoliceForce = lawreport.Force{Code: rec.PoliceForce}
		}
		if a != nil {
			u.Status = status(a)
		}
		seen := map[connection]bool{}
		for _, cn := range v.conns[id] {
			ip, port, ok := cn.lawreport()
			if !ok || seen[cn] || cn.At.Before(inc.DetectedAt.Add(-s.cfg.ContextWindow)) {
				continue
			}
			seen[cn] = true
			ev := lawreport.EventLogin
			if cn.Event == "send" {
				ev = lawreport.EventSend
			}
			u.Connections = append(u.Connections, lawreport.Connection{IP: ip, Port: port, At: cn.At, Event: ev})
		}
		slices.SortFunc(u.Connections, func(a, b lawreport.Connection) int { return a.At.Compare(b.At) })
		return u, true
	}
	sender, ok := user(c.SenderID)
	if !ok {
		return nil, nil, safeguard.Invalid("no_subject", "This case names no account to report.")
	}
	for _, p := range pairs {
		other := p[0]
		if other == c.SenderID {
			other = p[1]
		}
		ca := lawreport.ConnectedAccount{AccountID: strconv.FormatInt(other, 10), Relation: "contact"}
		if a := live[other]; a != nil {
			ca.Handle = a.Handle
		} else if r, ok := v.accounts[other]; ok {
			ca.Handle = r.Handle
		}
		sender.ConnectedAccounts = append(sender.ConnectedAccounts, ca)
	}
	inc.ReportedUsers = []lawreport.User{sender}
	ids := make([]int64, 0, len(children))
	for id := range children {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if u, ok := user(id); ok {
			inc.Children = append(inc.Children, u)
			for _, p := range pairs {
				if p[0] == id || p[1] == id {
					inc.Signals = appendSignal(inc.Signals, lawreport.SignalOngoingContact)
				}
			}
		}
	}
	inc.Thread = v.thread(contentOf)
	return inc, included, nil
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
	case "":
		return "A report"
	}
	return "A report (" + strings.ReplaceAll(string(c), "_", " ") + ")"
}

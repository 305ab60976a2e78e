package e2ee

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the image types a reported attachment may be
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	ce "github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// gcmOverhead is the size of the AES-GCM tag on an attachment blob.
const gcmOverhead = 16

// Reason is what a reporter says a message is: a code of the platform's
// report reasons and what it means for the detection.
type Reason struct {
	Code     string
	Category safeguard.Category
	Severity safeguard.Severity
	Signal   string // a risk signal the reason gives, if any
}

// txSeen is the store's seen set inside one transaction, so that marking a
// receipt reported and writing its detection happen together.
type txSeen struct{ tx Tx }

// MarkReported implements franking.SeenSet.
func (t txSeen) MarkReported(ctx context.Context, k franking.ReportKey, expires time.Time) (bool, error) {
	return t.tx.MarkReported(ctx, k.MessageID, k.RecipientAccount, expires)
}

// dryRun is a seen set that marks nothing, to check a report before the
// work of preserving its attachments.
type dryRun struct{}

// MarkReported implements franking.SeenSet, marking nothing.
func (dryRun) MarkReported(context.Context, franking.ReportKey, time.Time) (bool, error) {
	return true, nil
}

// Report verifies a franking report of an end-to-end encrypted message by
// its recipient and, if it holds, writes a detection (source
// franking_report) with its outbox event, so that a case is opened. The
// reported text is evidence verified by franking: it is kept in the
// evidence vault, encrypted, and the detection names it there (it is never
// written to the database); each reported image is fetched, decrypted with the key the reporter
// revealed, checked against its hash and kept in the media store. Forged
// reports are refused with franking's codes (report_unverifiable,
// report_unknown_key, report_expired, report_duplicate); a receipt is
// reported once, across restarts.
func (s *Service) Report(ctx context.Context, reporterID int64, req ReportRequest, reason Reason) (*safeguard.Detection, error) {
	if err := limit(s.reportLimit, reporterID); err != nil {
		return nil, err
	}
	rep := req.Report
	if rep.Context.RecipientAccount != reporterID {
		return nil, safeguard.Errorf(safeguard.ErrPermission, "report_not_recipient",
			"Only the person a message was delivered to can report it.")
	}
	now := s.clock()
	verifier := franking.Verifier{Keys: s.keys, Seen: dryRun{}, Now: s.now}
	_, err := verifier.Verify(ctx, rep)
	if errors.Is(err, franking.ErrUnknownKey) && s.refresh != nil {
		// Another server may have made the key since this one last read
		// the keys.
		if rerr := s.refresh(ctx); rerr != nil {
			s.log.Warn("franking keys not refreshed", "err", rerr)
		}
		_, err = verifier.Verify(ctx, rep)
	}
	if err != nil {
		return nil, err
	}
	ev := safeguard.VerifiedReport{VerifiedBy: "franking", Reason: reason.Code, ReporterID: reporterID,
		Delivery: safeguard.VerifiedDelivery{SenderAccount: rep.Context.SenderAccount, SenderDevice: rep.Context.SenderDevice,
			RecipientAccount: rep.Context.RecipientAccount, ConversationID: rep.Context.ConversationID,
			ServerTime: rep.Context.ServerTime, MessageID: rep.Context.MessageID},
		ReceiptKey: rep.Receipt.KeyID}
	if reason.Signal != "" {
		ev.Signals = []string{reason.Signal}
	}
	text, err := s.keepText(ctx, rep, &ev)
	if err != nil {
		return nil, err
	}
	preserved, err := s.preserve(ctx, rep, &ev)
	if err != nil {
		s.vault.Discard(context.WithoutCancel(ctx), text)
		return nil, err
	}
	var d *safeguard.Detection
	err = updateTx(ctx, s.store, func(tx Tx) error {
		verifier.Seen = txSeen{tx}
		v, err := verifier.Verify(ctx, rep)
		if err != nil {
			return err
		}
		reporter, err := tx.Account(ctx, reporterID)
		if err != nil {
			return err
		}
		ev.ReporterBand = reporter.Band(now)
		ev.Commitment = hex.EncodeToString(v.Commitment[:])
		var mediaID int64
		for i := range preserved {
			if err := tx.CreateMedia(ctx, preserved[i].media); err != nil {
				return err
			}
			ev.Attachments[preserved[i].index].MediaID = preserved[i].media.ID
			if mediaID == 0 {
				mediaID = preserved[i].media.ID
			}
		}
		members, err := memberFacts(ctx, tx, rep.Context.ConversationID, now)
		if err != nil {
			return err
		}
		d = &safeguard.Detection{
			Source: safeguard.FrankingReport, At: now, MessageID: rep.Context.MessageID,
			ConversationID: rep.Context.ConversationID, SenderID: rep.Context.SenderAccount, MediaID: mediaID,
			ContentKey: contentKey(rep.Message), Severity: reason.Severity, Category: reason.Category,
			Summary:      "Verified report (message franking) of an end-to-end encrypted message: " + reason.Code,
			RecipientIDs: []int64{reporterID}, ConversationE2EE: true, Members: members,
		}
		if err := d.SetFinding(safeguard.Finding{Verified: &ev}); err != nil {
			return err
		}
		if err := store.RecordDetection(ctx, tx, d); err != nil {
			return err
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: reporterID, Actor: "account", Action: "e2ee.reported",
			TargetID: d.SenderID, Reason: reason.Code, Detail: fmt.Sprintf(`{"detection":%d,"message":%d}`, d.ID, d.MessageID)})
	})
	if err != nil {
		for _, p := range preserved {
			s.media.Delete(context.WithoutCancel(ctx), p.media.StorageKey)
		}
		if len(text) > 0 {
			s.vault.Discard(context.WithoutCancel(ctx), text)
		}
		return nil, err
	}
	return d, nil
}

// keepText stages the reported text in the evidence vault and names it in
// the finding. The case the report opens logs it (see internal/cases). A
// report without text keeps nothing; a text with no vault to keep it in is
// refused rather than stored in the database.
func (s *Service) keepText(ctx context.Context, rep franking.Report, ev *safeguard.VerifiedReport) ([]evidence.Staged, error) {
	if rep.Message.Text == "" {
		return nil, nil
	}
	if s.vault == nil {
		return nil, safeguard.Errorf(safeguard.ErrUnavailable, "report_unavailable",
			"Reports of encrypted messages cannot be taken right now.")
	}
	staged, err := s.vault.Stage(ctx, []evidence.Item{{Kind: evidence.KindReportedText, ContentType: evidence.ReportedTextType,
		Class: safeguard.RetainContent, Data: []byte(rep.Message.Text)}})
	if err != nil {
		return nil, fmt.Errorf("keep reported text: %w", err)
	}
	ev.Text = &safeguard.VaultRef{Digest: hex.EncodeToString(staged[0].Digest), StorageKey: staged[0].StorageKey, Size: staged[0].Size}
	return staged, nil
}

// contentKey names the reported content, so that a case gathers its
// occurrences: an image's plaintext SHA-256 (the key hash matching uses),
// or the hash of the whole franked message.
func contentKey(m franking.Message) string {
	if len(m.Attachments) == 1 && m.Text == "" {
		return "sha256:" + hex.EncodeToString(m.Attachments[0].SHA256[:])
	}
	enc, _ := m.MarshalBinary() // a verified message always encodes
	sum := sha256.Sum256(enc)
	return "franking:" + hex.EncodeToString(sum[:])
}

type preservedMedia struct {
	index int
	media *safeguard.Media
}

// preserve fetches each reported attachment's blob, decrypts it with the key
// the reporter revealed and, if it matches the hash the sender committed to,
// stores the image in the media store. What cannot be preserved is noted in
// the evidence, not refused: the text is verified either way.
func (s *Service) preserve(ctx context.Context, rep franking.Report, ev *safeguard.VerifiedReport) ([]preservedMedia, error) {
	var out []preservedMedia
	for i, a := range rep.Message.Attachments {
		ea := safeguard.VerifiedAttachment{BlobID: a.BlobID, SHA256: hex.EncodeToString(a.SHA256[:])}
		md, problem, err := s.preserveOne(ctx, rep.Context.ConversationID, a)
		if err != nil {
			for _, p := range out {
				s.media.Delete(context.WithoutCancel(ctx), p.media.StorageKey)
			}
			return nil, err
		}
		ea.Problem = problem
		if md != nil {
			out = append(out, preservedMedia{index: i, media: md})
		}
		ev.Attachments = append(ev.Attachments, ea)
	}
	return out, nil
}

func (s *Service) preserveOne(ctx context.Context, conversationID int64, a franking.Attachment) (*safeguard.Media, string, error) {
	var b *safeguard.Blob
	err := viewTx(ctx, s.store, func(tx Tx) (err error) { b, err = tx.Blob(ctx, a.BlobID); return })
	if errors.Is(err, safeguard.ErrNotFound) || (err == nil && b.ConversationID != conversationID) {
		return nil, "blob_not_held", nil
	}
	if err != nil {
		return nil, "", err
	}
	data, err := s.media.Get(ctx, b.StorageKey)
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, "blob_not_held", nil
	}
	if err != nil {
		return nil, "", err
	}
	const aesKey, nonce = 32, 12
	if len(a.Key) != aesKey+nonce || len(data) < gcmOverhead {
		return nil, "key_or_blob_malformed", nil
	}
	att := ce.Attachment{BlobID: a.BlobID, Size: int64(len(data) - gcmOverhead), Key: a.Key[:aesKey],
		Nonce: a.Key[aesKey:], SHA256: a.SHA256[:]}
	plain, err := att.Decrypt(data)
	if err != nil {
		return nil, "does_not_match_commitment", nil
	}
	key, err := s.media.Put(ctx, plain)
	if err != nil {
		return nil, "", fmt.Errorf("preserve reported image: %w", err)
	}
	sum := sha256.Sum256(plain)
	md := &safeguard.Media{OwnerID: b.OwnerID, ContentType: http.DetectContentType(plain), Size: int64(len(plain)),
		SHA256: sum[:], StorageKey: key, Origin: b.Origin, CreatedAt: b.CreatedAt}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(plain)); err == nil {
		md.Width, md.Height = cfg.Width, cfg.Height
	}
	return md, "", nil
}

// memberFacts records the conversation's current members as they are now.
func memberFacts(ctx context.Context, tx Tx, conversationID int64, now time.Time) ([]safeguard.MemberFacts, error) {
	c, err := tx.Conversation(ctx, conversationID)
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, m := range c.Current() {
		ids = append(ids, m.AccountID)
	}
	accounts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []safeguard.MemberFacts
	for _, id := range ids {
		if a := accounts[id]; a != nil {
			out = append(out, safeguard.MemberFacts{AccountID: id, Band: a.Band(now), Assurance: a.Assurance})
		}
	}
	return out, nil
}

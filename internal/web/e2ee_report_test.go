package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/secure"
	"github.com/safeguard-dev/safeguard/franking"
	sge2ee "github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// postReport sends a franking report as a client would, whatever it holds.
func postReport(t *testing.T, c *client.Client, rep franking.Report, reason string) (*client.ReportResult, error) {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return c.ReportFranking(t.Context(), client.FrankingReportRequest{Report: b, Reason: reason})
}

// detection reads a detection and the outbox event that opens its case.
func detection(t *testing.T, st store.Store, id int64) (*safeguard.Detection, *safeguard.Event) {
	t.Helper()
	var d *safeguard.Detection
	var ev *safeguard.Event
	err := st.View(t.Context(), func(tx store.Tx) error {
		var err error
		if d, err = tx.Detection(t.Context(), id); err != nil {
			return err
		}
		events, err := tx.Events(t.Context(), 0, 1000)
		for i, e := range events {
			var p struct {
				DetectionID int64 `json:"detection_id"`
			}
			if e.Type == safeguard.EventDetection && json.Unmarshal(e.Payload, &p) == nil && p.DetectionID == id {
				ev = &events[i]
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, ev
}

// TestE2EEFrankingReport: a recipient reports a real message; the server
// verifies it and opens a detection with the message as evidence; every
// forged variant is refused with its own code, and a receipt is reported
// once, across restarts.
func TestE2EEFrankingReport(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st, raw, tables := be.open(t)
			keyPath := filepath.Join(t.TempDir(), "franking.keys")
			ring, save, err := sge2ee.OpenKeyFile(keyPath, franking.KeyRingConfig{})
			if err != nil {
				t.Fatal(err)
			}
			s := newE2EEStack(t, st, ring, save)
			s.raw, s.tables, s.postgres = raw, tables, be.name == "postgres"
			alice, bob, carol := s.adult("alice", 1), s.adult("bob", 1), s.adult("carol", 1)
			s.contacts(alice, bob, carol)
			g := s.group(alice, "Trio", bob, carol)

			const text = "send me a photo and keep this between us"
			img := syntheticPNG(t, 9, "")
			if _, err := alice.devs[0].Send(ctx, g.ID, text); err != nil {
				t.Fatal(err)
			}
			if _, err := alice.devs[0].SendImage(ctx, g.ID, "image/png", img, ""); err != nil {
				t.Fatal(err)
			}
			got := received(t, bob.devs[0])
			carolGot := received(t, carol.devs[0])
			if len(got) != 2 || len(carolGot) != 2 {
				t.Fatalf("bob read %d messages, carol %d", len(got), len(carolGot))
			}
			msg, pic := got[0], got[1]

			// The real report verifies and opens a detection.
			res, err := bob.devs[0].Report(ctx, g.ID, msg.ID, "asked_for_photos")
			if err != nil {
				t.Fatal(err)
			}
			if res.DetectionID == 0 || res.Status != "received" || len(res.Notices) == 0 {
				t.Errorf("report answer %+v", res)
			}
			d, ev := detection(t, st, res.DetectionID)
			if d.Source != safeguard.FrankingReport || d.MessageID != msg.ID || d.ConversationID != g.ID ||
				d.SenderID != alice.id || !d.ConversationE2EE || d.Category != "grooming" || d.Severity != "high" ||
				len(d.RecipientIDs) != 1 || d.RecipientIDs[0] != bob.id || len(d.Members) != 3 {
				t.Errorf("detection %+v", d)
			}
			f, err := d.Finding()
			if err != nil {
				t.Fatal(err)
			}
			detail := f.Verified
			if detail == nil || detail.VerifiedBy != "franking" || detail.Reason != "asked_for_photos" ||
				len(detail.Signals) != 1 || detail.Signals[0] != "image_request" || detail.Delivery.SenderDevice != alice.devs[0].Device().Device ||
				detail.Delivery.MessageID != msg.ID || detail.Text == nil || bytes.Contains(d.Detail, []byte(text)) {
				t.Errorf("detail %s", d.Detail)
			}
			// The text is in the evidence vault, encrypted, under the
			// digest the detection names.
			if kept, err := s.items.Get(ctx, detail.Text.StorageKey); err != nil || string(kept) != text {
				t.Errorf("kept text %q, %v", kept, err)
			}
			if ev == nil || ev.MessageID != msg.ID || ev.ConversationID != g.ID {
				t.Errorf("outbox event of the detection: %+v", ev)
			}

			// A reported image is decrypted with the revealed key, checked
			// against its hash and kept as evidence.
			res2, err := bob.devs[0].Report(ctx, g.ID, pic.ID, "photo_shared")
			if err != nil {
				t.Fatal(err)
			}
			d2, _ := detection(t, st, res2.DetectionID)
			if d2.MediaID == 0 || d2.Category != "csam_suspected" || d2.Severity != "high" {
				t.Fatalf("image report detection %+v", d2)
			}
			var md *safeguard.Media
			if err := st.View(ctx, func(tx store.Tx) (err error) { md, err = tx.Media(ctx, d2.MediaID); return }); err != nil {
				t.Fatal(err)
			}
			kept, err := s.md.Get(ctx, md.StorageKey)
			if err != nil || !bytes.Equal(kept, img) || md.OwnerID != alice.id || md.ContentType != "image/png" {
				t.Errorf("kept image: %d bytes, owner %d, type %s, %v", len(kept), md.OwnerID, md.ContentType, err)
			}

			// Forged variants.
			real, err := secure.ReportOf(msg)
			if err != nil {
				t.Fatal(err)
			}
			carolReal, err := secure.ReportOf(carolGot[0])
			if err != nil {
				t.Fatal(err)
			}
			forge := func(edit func(r *franking.Report)) franking.Report {
				r := carolReal
				r.Message.Attachments = nil
				r.Key = bytes.Clone(carolReal.Key)
				edit(&r)
				return r
			}
			tests := []struct {
				name     string
				reporter *client.Client
				rep      franking.Report
				status   int
				code     string
			}{
				{"altered text", carol.api, forge(func(r *franking.Report) { r.Message.Text = "something she never wrote" }), 400, "report_unverifiable"},
				{"another sender", carol.api, forge(func(r *franking.Report) { r.Context.SenderAccount = bob.id }), 400, "report_unverifiable"},
				{"another sending device", carol.api, forge(func(r *franking.Report) { r.Context.SenderDevice = "OTHER" }), 400, "report_unverifiable"},
				{"another time", carol.api, forge(func(r *franking.Report) { r.Context.ServerTime = r.Context.ServerTime.Add(-time.Hour) }), 400, "report_unverifiable"},
				{"wrong franking key", carol.api, forge(func(r *franking.Report) { r.Key = franking.NewKey() }), 400, "report_unverifiable"},
				{"forged receipt", carol.api, forge(func(r *franking.Report) { r.Receipt.MAC[0] ^= 1 }), 400, "report_unverifiable"},
				{"key never in the ring", carol.api, forge(func(r *franking.Report) { r.Receipt.KeyID ^= 0x5a5a }), 400, "report_unknown_key"},
				{"someone else's receipt", carol.api, real, 403, "report_not_recipient"},
				{"replayed receipt", bob.api, real, 409, "report_duplicate"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := postReport(t, tt.reporter, tt.rep, "")
					if ae := apiErr(t, err); ae.Status != tt.status || ae.Code != tt.code {
						t.Errorf("got %d %s (%s), want %d %s", ae.Status, ae.Code, ae.Message, tt.status, tt.code)
					}
				})
			}
			// The forgeries did not use up Carol's own report.
			if _, err := carol.devs[0].Report(ctx, g.ID, carolGot[0].ID, ""); err != nil {
				t.Errorf("carol's real report after the forgeries: %v", err)
			}
			if _, err := postReport(t, bob.api, real, ""); apiErr(t, err).Code != "report_duplicate" {
				t.Errorf("second report: %v", err)
			}

			// After the window, a report is too old.
			if _, err := alice.devs[0].Send(ctx, g.ID, "one more"); err != nil {
				t.Fatal(err)
			}
			late := received(t, bob.devs[0])
			lateRep, err := secure.ReportOf(late[0])
			if err != nil {
				t.Fatal(err)
			}
			s.clock.Advance(franking.DefaultReportWindow + time.Hour)
			if _, err := postReport(t, bob.api, lateRep, ""); apiErr(t, err).Code != "report_expired" {
				t.Errorf("report after the window: %v", err)
			}
			s.clock.Advance(-franking.DefaultReportWindow - time.Hour)

			// A restart with the key file: receipts still verify, and the
			// receipt reported before is still reported.
			s.close()
			ring2, save2, err := sge2ee.OpenKeyFile(keyPath, franking.KeyRingConfig{})
			if err != nil {
				t.Fatal(err)
			}
			s2 := newE2EEStack(t, st, ring2, save2)
			bobAgain := &client.Client{BaseURL: s2.url, Token: bob.api.Token}
			if _, err := postReport(t, bobAgain, real, ""); apiErr(t, err).Code != "report_duplicate" {
				t.Errorf("replayed report after a restart: %v", err)
			}
			if _, err := postReport(t, bobAgain, lateRep, "mean_or_threatening"); err != nil {
				t.Errorf("report verified by the restarted server: %v", err)
			}
			// A restart that lost its keys cannot verify anything older: the
			// receipt's key is no longer held.
			s2.close()
			s3 := newE2EEStack(t, st, nil, nil)
			carolAgain := &client.Client{BaseURL: s3.url, Token: carol.api.Token}
			rep3, _ := secure.ReportOf(carolGot[1])
			if _, err := postReport(t, carolAgain, rep3, ""); apiErr(t, err).Code != "report_unknown_key" {
				t.Errorf("report with a dropped key: %v", err)
			}
			if ae := apiErr(t, func() error { _, err := postReport(t, carolAgain, rep3, "nonsense"); return err }()); ae.Status != http.StatusBadRequest || ae.Code != "invalid_reason" {
				t.Errorf("unknown category: %+v", ae)
			}
		})
	}
}

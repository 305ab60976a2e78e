package web_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	sge2ee "github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// newFrankingStack starts a server with end-to-end encryption and the cases
// service, sharing one evidence vault: what a verified report needs from
// the report to the moderator.
// reportFranked runs the franking stack on be: alice sends text to bob in
// an end-to-end encrypted group, and bob reports it. It returns the stack,
// its cases service, the store and its database, and the report's answer.
func reportFranked(t *testing.T, be backend, text string) (*e2eeStack, *cases.Service, store.Store, *sql.DB, *client.ReportResult) {
	t.Helper()
	ctx := t.Context()
	st, raw, tables := be.open(t)
	s, cs := newFrankingStack(t, st)
	s.raw, s.tables, s.postgres = raw, tables, be.name == "postgres"
	alice, bob := s.adult("alice", 1), s.adult("bob", 1)
	s.contacts(alice, bob)
	conv := s.group(alice, "", bob)
	if _, err := alice.devs[0].Send(ctx, conv.ID, text); err != nil {
		t.Fatal(err)
	}
	got := received(t, bob.devs[0])
	if len(got) != 1 {
		t.Fatalf("bob read %d messages", len(got))
	}
	res, err := bob.devs[0].Report(ctx, conv.ID, got[0].ID, "asked_for_photos")
	if err != nil {
		t.Fatal(err)
	}
	return s, cs, st, raw, res
}

func newFrankingStack(t *testing.T, st store.Store) (*e2eeStack, *cases.Service) {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	items, err := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	if err != nil {
		t.Fatal(err)
	}
	_, evKey, _ := ed25519.GenerateKey(rand.Reader)
	clock := &offsetClock{}
	vault := evidence.New(items, evKey, clock.Now)
	log := slog.New(slog.DiscardHandler)
	ring := franking.NewKeyRing(franking.KeyRingConfig{Now: clock.Now})
	b := bus.NewLocal()
	svc, err := sge2ee.New(sge2ee.Config{Limits: &sge2ee.Limits{}, MaxBlobBytes: 4 << 20},
		sge2ee.Deps{Store: st, Media: md, Evidence: vault, Keys: ring, Notify: web.E2EENotifier(b, log), Now: clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	cfg := messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Limits: testLimits, Apps: []string{"chat"}}
	msvc, err := messaging.New(cfg, messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, log), Relay: svc, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	reportDir := filepath.Join(t.TempDir(), "reports")
	cs, err := cases.New(cases.Config{TestReports: true, PrepareDir: reportDir},
		cases.Deps{Store: st, Media: md, Vault: vault, Builder: lawreporttest.Builder(),
			Submitter: &lawreport.FileExport{Dir: reportDir}, Notify: web.Notifier(b, log), Lookup: msvc, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken}, msvc, b, log, prometheus.NewRegistry(),
		web.WithE2EE(svc), web.WithCases(cs)).Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	return &e2eeStack{
		stack: &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: st},
		md:    md, vault: vault, items: items, svc: svc, ring: ring, clock: clock, b: b,
	}, cs
}

// TestAttackFrankingPlaintextAtRest replays a finding: the text of an
// end-to-end encrypted message that its recipient reported (franking) was
// written in clear into detections.detail, outside the encrypted evidence
// vault. After a verified report and the case it opens, no column of any
// table holds the text, in any encoding; the moderator still reads it, from
// the vault, and the read is recorded; the law-enforcement report carries
// it too.
func TestAttackFrankingPlaintextAtRest(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			text := "meet me and tell nobody " + canary
			s, cs, _, _, res := reportFranked(t, be, text)
			if res.DetectionID == 0 {
				t.Fatalf("report answer %+v", res)
			}

			check := func(when string) {
				t.Helper()
				cells := s.dump(t)
				if len(cells) < 50 {
					t.Fatalf("%s: only %d values dumped", when, len(cells))
				}
				for _, c := range cells {
					if leaks(c.value) {
						t.Errorf("%s: the reported text is in %s.%s", when, c.table, c.column)
					}
				}
			}
			check("after the report")
			if n, err := cs.Process(ctx); err != nil || n != 1 {
				t.Fatalf("Process: %d, %v", n, err)
			}
			check("after the case opened")

			// The moderator reads the text from the vault, and the read is
			// recorded.
			list, err := s.admin.AdminCases(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("cases: %d, %v", len(list), err)
			}
			c := list[0]
			view := func() *client.CaseView {
				t.Helper()
				v, err := s.admin.AdminCase(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			var seq int64
			for _, e := range view().Evidence {
				if e.ItemKind == evidence.KindReportedText {
					seq = e.Seq
				}
			}
			if seq == 0 {
				t.Fatalf("the case holds no reported text in its evidence: %+v", view().Evidence)
			}
			shown, err := s.admin.AdminReveal(ctx, c.ID, seq, client.CaseAction{Moderator: "mod_one", Why: "review of the reported message"})
			if err != nil {
				t.Fatal(err)
			}
			if string(shown.Data) != text {
				t.Errorf("the moderator reads %q, want the reported text", shown.Data)
			}
			read := false
			for _, r := range view().EvidenceReads {
				read = read || (r.Seq == seq && r.Who == "mod_one")
			}
			if !read {
				t.Error("the moderator's read of the reported text is not recorded")
			}

			// The law-enforcement report reads it from the vault too.
			dir := t.TempDir()
			if _, _, err := cs.Export(ctx, c.ID, dir, "mod_one", true); err != nil {
				t.Fatal(err)
			}
			inReport := false
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, _ := os.ReadFile(path)
					inReport = inReport || bytes.Contains(b, []byte(text))
				}
				return nil
			})
			if !inReport {
				t.Error("the exported report does not carry the reported text")
			}
			check("after the reads")
		})
	}
}

// TestAttackFrankingPlaintextOldRows replays the same finding on rows
// written before the fix, which kept the reported text in
// detections.detail ("plaintext"): once the detection is in a case (its
// evidence holds the detection, text and all), the store's migration
// removes the text from the row and keeps everything else.
func TestAttackFrankingPlaintextOldRows(t *testing.T) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			text := "an old report " + canary
			s, cs, st, raw, res := reportFranked(t, be, text)
			// The row as the code before wrote it, and a second such row
			// no case holds yet.
			d, _ := detection(t, st, res.DetectionID)
			var old map[string]any
			if err := json.Unmarshal(d.Detail, &old); err != nil {
				t.Fatal(err)
			}
			delete(old, "text")
			old["plaintext"] = text
			b, _ := json.Marshal(old)
			if _, err := raw.ExecContext(ctx, s.rebind(`UPDATE detections SET detail = ? WHERE id = ?`), b, d.ID); err != nil {
				t.Fatal(err)
			}
			if n, err := cs.Process(ctx); err != nil || n != 1 {
				t.Fatalf("Process: %d, %v", n, err)
			}
			pending := strings.Replace(string(b), canary, "pending-"+strings.ToLower(canary), 1)
			if _, err := raw.ExecContext(ctx, s.rebind(`INSERT INTO detections (source, at, message_id, conversation_id, sender_id,
				media_id, held, content_key, severity, category, summary, detail, recipients, conversation_e2ee, members)
				SELECT source, at, message_id, conversation_id, sender_id, media_id, held, 'pending', severity, category, summary, ?,
				recipients, conversation_e2ee, members FROM detections WHERE id = ?`), []byte(pending), d.ID); err != nil {
				t.Fatal(err)
			}
			var pendingID int64
			if err := raw.QueryRowContext(ctx, `SELECT MAX(id) FROM detections`).Scan(&pendingID); err != nil {
				t.Fatal(err)
			}

			dir := "sqlite"
			if s.postgres {
				dir = "postgres"
			}
			migration, err := os.ReadFile(filepath.Join("..", "store", dir, "migrations", "0010_franking_text.sql"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.ExecContext(ctx, string(migration)); err != nil {
				t.Fatal(err)
			}
			for _, c := range s.dump(t) {
				if leaks(c.value) {
					t.Errorf("after the migration: the reported text is in %s.%s", c.table, c.column)
				}
			}
			after, _ := detection(t, st, d.ID)
			f, err := after.Finding()
			if err != nil || f.Verified == nil || f.Verified.Reason != "asked_for_photos" || f.Verified.VerifiedBy != "franking" {
				t.Errorf("the migrated detail lost more than the text: %s (%v)", after.Detail, err)
			}
			left, _ := detection(t, st, pendingID)
			if !bytes.Contains(left.Detail, []byte("plaintext")) {
				t.Error("the text of a detection no case holds yet was dropped before the vault had it")
			}
		})
	}
}

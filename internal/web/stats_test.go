package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// statsScanner stands in for the safety pipeline: an image in its bank is a
// known image (held), a text with a link to bad.example a URL match, a text
// with "[risk]" a risk alert. Each detection records, as the real pipeline
// does, the conversation's encryption and every member's facts — the
// sender's among them.
type statsScanner struct{ bank map[[32]byte]bool }

func (b statsScanner) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
	d := &safeguard.Detection{At: c.Now, ConversationE2EE: c.Conversation.E2EE, SenderID: c.Sender.ID, Severity: "high"}
	switch {
	case c.Data != nil && b.bank[sha256.Sum256(c.Data)]:
		d.Source, d.Category, d.Held, d.Summary = safeguard.HashMatch, "csam_known", true, "test bank match"
		d.ContentKey = fmt.Sprintf("sha256:%x", sha256.Sum256(c.Data))
		d.Detail = []byte(`{"bank":"test-bank","entry":"test-entry","distance":0}`)
	case c.Message != nil && strings.Contains(c.Message.Text, "https://bad.example/"):
		d.Source, d.Category, d.ContentKey, d.Summary = safeguard.URLMatch, "url", "url:https://bad.example/", "link on a test URL list"
	case c.Message != nil && strings.Contains(c.Message.Text, "[risk]"):
		d.Source, d.Category, d.Summary = safeguard.RiskRule, "grooming", "test risk rule"
		d.ContentKey = fmt.Sprintf("conversation:%d", c.Conversation.ID)
	default:
		return messaging.Verdict{}, nil
	}
	d.Members = append(d.Members, safeguard.MemberFacts{AccountID: c.Sender.ID, Band: c.Sender.Band(c.Now), Assurance: c.Sender.Assurance})
	for _, r := range c.Recipients {
		d.RecipientIDs = append(d.RecipientIDs, r.ID)
		d.Members = append(d.Members, safeguard.MemberFacts{AccountID: r.ID, Band: r.Band(c.Now), Assurance: r.Assurance})
	}
	return messaging.Verdict{Hold: d.Held, Reason: string(d.Source), Record: func(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
		d.MessageID, d.ConversationID, d.MediaID = m.ID, m.ConversationID, m.MediaID
		if err := tx.CreateDetection(ctx, d); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventDetection, At: d.At, AccountID: m.SenderID,
			ConversationID: m.ConversationID, MessageID: m.ID, Payload: []byte(fmt.Sprintf(`{"detection_id":%d}`, d.ID))})
	}}, nil
}

// statsStack is a running server serving two apps, "chat" and "kids", with
// the cases service and the statistics.
type statsStack struct {
	*stack
	cs *cases.Service
}

func newStatsStack(t *testing.T, st store.Store) *statsStack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, _ := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	items, _ := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	bank := map[[32]byte]bool{}
	for _, n := range []uint32{7, 8, 9} {
		bank[sha256.Sum256(lawreporttest.Image(n))] = true
	}
	scanner := statsScanner{bank: bank}
	b := bus.NewLocal()
	apps := []string{"chat", "kids"}
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Apps: apps},
		messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil), Scanner: scanner})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() }) // the queued refusals, before the store closes
	reportDir := filepath.Join(t.TempDir(), "reports")
	cs, err := cases.New(cases.Config{TestReports: true},
		cases.Deps{Store: st, Media: md, Vault: evidence.New(items, priv, nil), Builder: lawreporttest.Builder(),
			Submitter: &lawreport.FileExport{Dir: reportDir}, Notify: web.Notifier(b, nil), Lookup: svc})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := platform.New(platform.Config{Mode: policy.NSPCC, Apps: apps, ServiceName: "Safeguard"},
		platform.Deps{Store: st, Banks: platform.StoreBanks{Store: st}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken}, svc, b, nil, prometheus.NewRegistry(),
		web.WithCases(cs), web.WithStats(stats)).Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	s := &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: st}
	return &statsStack{stack: s, cs: cs}
}

// member signs up and logs in an account of an app.
func (s *statsStack) member(nickname string, age int, la, app string) *client.Client {
	s.t.Helper()
	return s.register(client.SignUpRequest{Nickname: nickname, Password: pw, BirthDate: born(age), LocalAuthority: la, App: app})
}

// chat makes a and b contacts (b, the younger, asks: an adult cannot find
// a young person) and returns a's conversation with b.
func (s *statsStack) chat(a *client.Client, aHandle, bHandle string, b *client.Client) int64 {
	s.t.Helper()
	s.connect(b, aHandle, a)
	conv, err := a.CreateConversation(s.t.Context(), client.ConversationRequest{Members: []string{bHandle}})
	if err != nil {
		s.t.Fatal(err)
	}
	return conv.ID
}

// tableJSON is the part of a table's JSON the test reads.
type tableJSON struct {
	Title   string `json:"title"`
	Columns []struct {
		Name string `json:"name"`
	} `json:"columns"`
	Forces []struct {
		Force  string          `json:"force"`
		Code   string          `json:"ons_code"`
		Values json.RawMessage `json:"values"`
	} `json:"forces"`
	Computed struct {
		Values json.RawMessage `json:"values"`
	} `json:"computed_total"`
	Internal bool `json:"internal"`
}

// rows returns the table as force → values, the total under "total".
func (tj tableJSON) rows(t *testing.T) map[string]string {
	compact := func(raw json.RawMessage) string {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return b.String()
	}
	out := map[string]string{"total": compact(tj.Computed.Values)}
	for _, f := range tj.Forces {
		out[f.Force] = compact(f.Values)
	}
	return out
}

func (s *statsStack) table(t *testing.T, what string, q client.StatsQuery) tableJSON {
	t.Helper()
	q.Format = "json"
	body, ctype, err := s.admin.AdminStats(t.Context(), what, q)
	if err != nil {
		t.Fatalf("%s %+v: %v", what, q, err)
	}
	if ctype != "application/json" {
		t.Errorf("content type %q", ctype)
	}
	var tj tableJSON
	if err := json.Unmarshal(body, &tj); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, body)
	}
	return tj
}

// TestPlatformStatisticsThroughTheAPI creates cases through the real server
// in two police force areas and two apps, and reads the platform's table,
// the policy impact and the transparency report back through the API:
//
//	A  ann (Cambridge, chat) sends a known image to her contact ben (15, Bedford):
//	   Bedfordshire, chat, image match, priority 1; reported to law enforcement.
//	B  ann sends ben a link to bad.example: Bedfordshire, chat, URL match, priority 2.
//	C  ali (Bedford, kids) sends cal (16, Cambridge) a "[risk]" message, which cal
//	   also reports: Cambridgeshire, kids, risk alert, priority 2.
//	D  bea (14, Bedford, kids) reports ali's message to her: Bedfordshire, kids,
//	   user report, priority 2.
//	E  vera sends vic a known image, both verified adults (Bedford, Cambridge, chat),
//	   in a plain chat: no child, so vera's area, Bedfordshire; image match, priority 2.
//	F  ann sends cal another known image: Cambridgeshire, chat, image match, priority 1.
func TestPlatformStatisticsThroughTheAPI(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStatsStack(t, open(t))
			ctx := t.Context()
			ann := s.member("ann", 40, "Cambridge", "chat")
			ben := s.member("ben", 15, "Bedford", "chat")
			ali := s.member("ali", 35, "Bedford", "kids")
			cal := s.member("cal", 16, "Cambridge", "kids")
			bea := s.member("bea", 14, "Bedford", "kids")
			vera := s.member("vera", 45, "Bedford", "chat")
			vic := s.member("vic", 50, "Cambridge", "chat")
			for _, c := range []*client.Client{vera, vic} {
				me, _ := c.Me(ctx)
				if _, err := s.admin.SetAgeAssurance(ctx, me.ID, "verified"); err != nil {
					t.Fatal(err)
				}
			}

			annBen := s.chat(ann, s.h("ann"), s.h("ben"), ben)
			if _, err := ann.SendImage(ctx, annBen, "a.png", "image/png", lawreporttest.Image(7), ""); err != nil { // A
				t.Fatal(err)
			}
			if _, err := ann.SendText(ctx, annBen, "look https://bad.example/x (synthetic)"); err != nil { // B
				t.Fatal(err)
			}
			aliCal := s.chat(ali, s.h("ali"), s.h("cal"), cal)
			risky, err := ali.SendText(ctx, aliCal, "[risk] synthetic test message")
			if err != nil { // C
				t.Fatal(err)
			}
			if _, err := cal.Report(ctx, client.ReportRequest{MessageID: risky.ID, Reason: "asked_for_photos"}); err != nil {
				t.Fatalf("cal reports: %v", err)
			}
			aliBea := s.chat(ali, s.h("ali"), s.h("bea"), bea)
			hello, err := ali.SendText(ctx, aliBea, "hello (synthetic)")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bea.Report(ctx, client.ReportRequest{MessageID: hello.ID, Reason: "mean_or_threatening"}); err != nil { // D
				t.Fatalf("bea reports: %v", err)
			}
			veraVic := s.chat(vera, s.h("vera"), s.h("vic"), vic)
			if _, err := vera.SendImage(ctx, veraVic, "e.png", "image/png", lawreporttest.Image(8), ""); err != nil { // E
				t.Fatal(err)
			}
			annCal := s.chat(ann, s.h("ann"), s.h("cal"), cal)
			if _, err := ann.SendImage(ctx, annCal, "f.png", "image/png", lawreporttest.Image(9), ""); err != nil { // F: another image, another case
				t.Fatal(err)
			}
			if _, err := s.cs.Process(ctx); err != nil {
				t.Fatal(err)
			}
			queue, err := s.admin.AdminCases(ctx)
			if err != nil || len(queue) != 6 {
				t.Fatalf("%d cases, %v; want 6", len(queue), err)
			}
			// Report case A: the priority 1 case in ben's conversation.
			var reportedID int64
			for _, c := range queue {
				if c.Priority == 1 && c.ConversationID == annBen {
					reportedID = c.ID
				}
			}
			if reportedID == 0 {
				t.Fatalf("no priority 1 case in ann and ben's chat: %+v", queue)
			}
			if _, err := s.admin.AdminCaseAction(ctx, reportedID, "decide", client.CaseAction{Moderator: "mod", Decision: "report", Reason: "known image to a child"}); err != nil {
				t.Fatal(err)
			}

			now := time.Now().UTC()
			period := fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())+2)/3)

			// The operators' unsuppressed figures: exactly the cases above.
			byApp := s.table(t, "platform", client.StatsQuery{Period: period, By: "app", Unsuppressed: true})
			if !byApp.Internal || !strings.HasPrefix(byApp.Title, "INTERNAL") {
				t.Errorf("unsuppressed table not marked INTERNAL: %q", byApp.Title)
			}
			if diff := cmp.Diff(map[string]string{
				"Bedfordshire":   "[4,3,1]", // A, B, E in chat; D in kids
				"Cambridgeshire": "[2,1,1]", // F in chat; C in kids
				"total":          "[6,4,2]",
			}, byApp.rows(t)); diff != "" {
				t.Errorf("cases by app (-want +got):\n%s", diff)
			}
			bySource := s.table(t, "platform", client.StatsQuery{Period: period, By: "source", Unsuppressed: true})
			if diff := cmp.Diff(map[string]string{
				// image, URL, risk, user report, franking, scan failure, new image
				"Bedfordshire":   "[4,2,1,0,1,0,0,0]",
				"Cambridgeshire": "[2,1,0,1,0,0,0,0]",
				"total":          "[6,3,1,1,1,0,0,0]",
			}, bySource.rows(t)); diff != "" {
				t.Errorf("cases by source (-want +got):\n%s", diff)
			}
			byPriority := s.table(t, "platform", client.StatsQuery{Period: period, By: "priority", Unsuppressed: true})
			if diff := cmp.Diff(map[string]string{
				"Bedfordshire": "[4,1,3,0]", "Cambridgeshire": "[2,1,1,0]", "total": "[6,2,4,0]",
			}, byPriority.rows(t)); diff != "" {
				t.Errorf("cases by priority (-want +got):\n%s", diff)
			}
			reports := s.table(t, "platform", client.StatsQuery{Period: period, Count: "reports", Unsuppressed: true})
			if diff := cmp.Diff(map[string]string{"Bedfordshire": "[1]", "total": "[1]"}, reports.rows(t)); diff != "" {
				t.Errorf("reports (-want +got):\n%s", diff)
			}
			for _, f := range byApp.Forces {
				if want := map[string]string{"Bedfordshire": "E23000026", "Cambridgeshire": "E23000023"}[f.Force]; f.Code != want {
					t.Errorf("%s: code %s, want %s", f.Force, f.Code, want)
				}
			}

			// Published: every count of 1 or 2 is "<3" or withheld, every
			// figure shown is the true one, and with so few cases much is
			// withheld so that no "<3" can be worked out from the totals
			// of this and the other tables of the quarter.
			pub := s.table(t, "platform", client.StatsQuery{Period: period, By: "app"})
			truth := byApp.rows(t)
			for force, shown := range pub.rows(t) {
				var want []int
				json.Unmarshal([]byte(truth[force]), &want)
				var got []any
				json.Unmarshal([]byte(shown), &got)
				if len(got) != len(want) {
					t.Fatalf("%s: published %s, true %s", force, shown, truth[force])
				}
				for j, v := range got {
					switch v := v.(type) {
					case float64:
						if int(v) != want[j] || v == 1 || v == 2 {
							t.Errorf("%s column %d: published %v, true %d", force, j, v, want[j])
						}
					case string:
						if v != "withheld" && !(v == "<3" && want[j] >= 1 && want[j] <= 2) {
							t.Errorf("%s column %d: published %q, true %d", force, j, v, want[j])
						}
					}
				}
			}
			if strings.Contains(pub.rows(t)["Cambridgeshire"], "1") {
				t.Errorf("Cambridgeshire's single cases are published: %s", pub.rows(t)["Cambridgeshire"])
			}
			for _, format := range []string{"csv", "html", "text", "markdown"} {
				body, ctype, err := s.admin.AdminStats(ctx, "platform", client.StatsQuery{Period: period, By: "app", Format: format})
				if err != nil || !strings.Contains(string(body), "Bedfordshire") || !strings.Contains(string(body), "withheld") {
					t.Errorf("%s (%s): %v\n%s", format, ctype, err, body)
				}
			}

			// Policy impact: under E2EE for everyone A, B, E and F are
			// lost (found only by the server reading content); C has
			// cal's report beside the risk alert and D is a report, so
			// both stay. Under the running policy only E, between two
			// verified adults, could have been encrypted.
			body, _, err := s.admin.AdminStats(ctx, "impact", client.StatsQuery{Period: period, Format: "json", Unsuppressed: true})
			if err != nil {
				t.Fatal(err)
			}
			var im struct {
				Cases    json.RawMessage `json:"cases"`
				Reported json.RawMessage `json:"reported"`
				Policies []struct {
					Name         string          `json:"name"`
					Lost         json.RawMessage `json:"cases_lost"`
					LostReported json.RawMessage `json:"reported_cases_lost"`
				} `json:"policies"`
				ByArea   tableJSON `json:"by_police_force_area"`
				ByApp    tableJSON `json:"by_app"`
				BySource tableJSON `json:"by_detection_source"`
			}
			if err := json.Unmarshal(body, &im); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("cases %s, reported %s; %s: %s (%s reported); %s: %s (%s reported)", im.Cases, im.Reported,
				im.Policies[0].Name, im.Policies[0].Lost, im.Policies[0].LostReported, im.Policies[1].Name, im.Policies[1].Lost, im.Policies[1].LostReported)
			if want := "cases 6, reported 1; running policy (nspcc): 1 (0 reported); E2EE for everyone: 4 (1 reported)"; got != want {
				t.Errorf("impact:\n got %s\nwant %s", got, want)
			}
			for _, tt := range []struct {
				name string
				tj   tableJSON
				want map[string]string
			}{
				{"by area", im.ByArea, map[string]string{"Bedfordshire": "[4,1,3]", "Cambridgeshire": "[2,0,1]", "total": "[6,1,4]"}},
				{"by app", im.ByApp, map[string]string{"chat": "[4,1,4]", "kids": "[2,0,0]", "total": "[6,1,4]"}},
				{"by source", im.BySource, map[string]string{"image match": "[3,1,3]", "URL match": "[1,0,1]", "risk alert": "[1,0,0]", "user report": "[1,0,0]", "total": "[6,1,4]"}},
			} {
				if diff := cmp.Diff(tt.want, tt.tj.rows(t)); diff != "" {
					t.Errorf("impact %s (-want +got):\n%s", tt.name, diff)
				}
			}

			// The transparency report: HTML by default; the test scanner's
			// bank is not in the store, which has none.
			html, ctype, err := s.admin.AdminStats(ctx, "transparency", client.StatsQuery{Period: period})
			if err != nil || !strings.HasPrefix(ctype, "text/html") {
				t.Fatalf("transparency: %v (%s)", err, ctype)
			}
			for _, want := range []string{"Safeguard transparency report, " + period, "None configured", "<strong>nspcc</strong>", "Reports to law enforcement"} {
				if !strings.Contains(string(html), want) {
					t.Errorf("transparency HTML lacks %q", want)
				}
			}

			// Errors.
			for _, tt := range []struct {
				what string
				q    client.StatsQuery
				code string
			}{
				{"platform", client.StatsQuery{}, "stats_period"},
				{"platform", client.StatsQuery{Period: "2026-Q9"}, "stats_period"},
				{"platform", client.StatsQuery{Period: period, By: "colour"}, "stats_by"},
				{"platform", client.StatsQuery{Period: period, Format: "pdf"}, "stats_format"},
				{"impact", client.StatsQuery{Period: period, Format: "csv"}, "stats_format"},
				{"compare", client.StatsQuery{Period: period}, "stats_returns"},
				{"compare", client.StatsQuery{Period: period, Returns: "nothing"}, "dataset_not_found"},
			} {
				if _, _, err := s.admin.AdminStats(ctx, tt.what, tt.q); client.ErrorCode(err) != tt.code {
					t.Errorf("%s %+v: %v, want %s", tt.what, tt.q, err, tt.code)
				}
			}
			// Operators only.
			if _, _, err := ben.AdminStats(ctx, "platform", client.StatsQuery{Period: period}); apiErr(t, err).Status != http.StatusUnauthorized {
				t.Errorf("a member reads the statistics: %v", err)
			}
		})
	}
}

package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/nudity/nuditytest"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/safety/nudityscan"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// nudeStack is a running server with cases, the risk rules and the
// new-image scanner over a classifier that answers as the test tells it.
type nudeStack struct {
	*caseStack
	cl *nuditytest.Classifier
}

// eachNudity runs fn against every store with the scanner configured by
// cfg.
func eachNudity(t *testing.T, cfg nudityscan.Config, fn func(t *testing.T, s *nudeStack)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cl := &nuditytest.Classifier{}
			late := &lateScanner{}
			s := newCaseStackWith(t, open(t), late, func(_ *cases.Config, d *cases.Deps) {
				r, err := riskscan.New(riskscan.Config{EstablishedAfter: time.Nanosecond}, riskscan.Deps{Store: d.Store, Notify: d.Notify})
				if err != nil {
					t.Fatal(err)
				}
				n, err := nudityscan.New(cfg, nudityscan.Deps{Store: d.Store, Classifier: cl, Notify: d.Notify})
				if err != nil {
					t.Fatal(err)
				}
				late.s = safety.Scanners{r, n}
			})
			fn(t, &nudeStack{caseStack: s, cl: cl})
		})
	}
}

// pair makes a and b contacts and returns their one-to-one conversation.
func (s *nudeStack) pair(a *client.Client, aName string, b *client.Client, bName string) int64 {
	s.t.Helper()
	s.connect(b, s.h(aName), a)
	c, err := a.CreateConversation(s.t.Context(), client.ConversationRequest{Members: []string{s.h(bName)}})
	if err != nil {
		s.t.Fatal(err)
	}
	return c.ID
}

// image sends a harmless generated image.
func (s *nudeStack) image(from *client.Client, conv int64, seed uint64) (*client.Message, error) {
	return from.SendImage(s.t.Context(), conv, "p.png", "image/png", nuditytest.PNG(64, 48, seed), "")
}

// detections returns the new_image detections of a message.
func (s *nudeStack) detections(id int64) []*safeguard.Detection {
	s.t.Helper()
	var ds []*safeguard.Detection
	err := s.st.View(s.t.Context(), func(tx store.Tx) (err error) {
		ds, err = tx.Detections(s.t.Context(), store.DetectionQuery{MessageID: id})
		return
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return ds
}

// history returns c's messages in conv, oldest first.
func history(t *testing.T, c *client.Client, conv int64) []client.Message {
	t.Helper()
	page, err := c.History(t.Context(), conv, client.HistoryQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	out := page.Messages
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// checkFinding checks that a message has one new_image detection recording
// the classifier's scores, with the branch and action given.
func checkFinding(t *testing.T, ds []*safeguard.Detection, branch nudity.Branch, action nudity.Action) *safeguard.Detection {
	t.Helper()
	if len(ds) != 1 || ds[0].Source != safeguard.NewImage {
		t.Fatalf("detections = %+v, want one new_image", ds)
	}
	f, err := ds[0].Finding()
	if err != nil || f.Nudity == nil {
		t.Fatalf("finding: %+v %v", f, err)
	}
	if f.Nudity.Scores != nuditytest.Nude || f.Nudity.Branch != string(branch) || f.Nudity.Action != string(action) || !f.Nudity.Nudity {
		t.Errorf("finding = %+v, want the scores %+v, %s, %s", f.Nudity, nuditytest.Nude, branch, action)
	}
	return ds[0]
}

// TestNudityAdultToTeen: an adult's image that may show nudity never reaches
// the teen; the adult sees "sent"; a priority 1 case opens with the
// classifier named as its source; the teen is shown nudity_stopped, live and
// on the chat, with Childline and CEOP.
func TestNudityAdultToTeen(t *testing.T) {
	eachNudity(t, nudityscan.Config{Model: "test model"}, func(t *testing.T, s *nudeStack) {
		ctx := t.Context()
		adult := s.user("nd_adult", 34, "Cambridge")
		teen := s.user("nd_teen", 14, "Bedford")
		conv := s.pair(adult, "nd_adult", teen, "nd_teen")
		events, err := teen.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.cl.Answer(nuditytest.Nude)
		m, err := s.image(adult, conv, 1)
		if err != nil || m.Status != "sent" || m.Blurred {
			t.Fatalf("the adult's view: %+v %v", m, err)
		}
		var ev client.Event
		for timeout := time.After(5 * time.Second); ev.Notice == nil; {
			select {
			case ev = <-events:
			case <-timeout:
				t.Fatal("the teen was shown no notice")
			}
		}
		if ev.Notice.Code != "nudity_stopped" {
			t.Errorf("the teen was shown %q, want nudity_stopped", ev.Notice.Code)
		}
		// The conversation comes with the notice its members are shown
		// with it, never an empty one.
		if c, err := teen.Conversation(ctx, conv); err != nil || ev.Conversation == nil || ev.Conversation.ID != conv ||
			ev.Conversation.Notice.Code == "" || ev.Conversation.Notice.Code != c.Notice.Code || ev.Conversation.Notice.Text != c.Notice.Text {
			t.Errorf("the event's conversation: %+v, want the notice of %+v (%v)", ev.Conversation, c, err)
		}
		if ms := history(t, teen, conv); len(ms) != 0 {
			t.Errorf("the teen received it: %+v", ms)
		}
		if ms := history(t, adult, conv); len(ms) != 1 || ms[0].Status != "sent" || ms[0].Notice != nil {
			t.Errorf("the adult's history: %+v", ms)
		}
		if _, _, err := teen.Media(ctx, m.MediaID); apiErr(t, err).Status != 404 {
			t.Errorf("the teen fetches the held image: %v", err)
		}
		if got := flagged(t, teen)[conv]; got != "nudity_stopped" {
			t.Errorf("the teen's chat is flagged %q", got)
		}
		if got := flagged(t, adult)[conv]; got != "" {
			t.Errorf("the adult's chat is flagged %q", got)
		}
		d := checkFinding(t, s.detections(m.ID), nudity.AdultToMinor, nudity.ActHold)
		if !d.Held || d.Category != safeguard.CategoryNudity {
			t.Errorf("detection = %+v", d)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}
		cs := s.cases(t)
		if len(cs) != 1 || cs[0].Priority != 1 || cs[0].Source != "new_image" || cs[0].SenderID != s.id(adult) || cs[0].MinorSender {
			t.Fatalf("cases = %+v", cs)
		}
		if !slices.Contains(cs[0].Reasons, lawreport.ReasonNudeImageToChild) {
			t.Errorf("reasons = %v", cs[0].Reasons)
		}
		// The report package names the classifier, not a hash match.
		out := filepath.Join(t.TempDir(), "export")
		_, rec, err := s.cs.Export(ctx, cs[0].ID, out, "mod_a", true)
		if err != nil {
			t.Fatal(err)
		}
		nca, err := os.ReadFile(filepath.Join(rec.ID, lawreport.ExportNCA))
		if err != nil {
			t.Fatal(err)
		}
		if err := lawreport.ValidateNCA(nca); err != nil {
			t.Fatalf("NCA report invalid: %v", err)
		}
		for _, want := range []string{`"detection_source": "risk_rule"`, "Found by the nudity classifier on a new image, not by a hash match", lawreport.ReasonNudeImageToChild} {
			if !bytes.Contains(nca, []byte(want)) {
				t.Errorf("NCA report lacks %s", want)
			}
		}
		if bytes.Contains(nca, []byte("hash_match")) || bytes.Contains(nca, []byte("matched_banks")) {
			t.Errorf("NCA report names a hash match:\n%s", nca)
		}
		ncmec, err := os.ReadFile(filepath.Join(rec.ID, lawreport.ExportNCMEC))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(ncmec, []byte("Detected by classifier (a nudity classifier on a new image; no hash bank matched it)")) {
			t.Errorf("NCMEC report does not name the classifier:\n%s", ncmec)
		}
	})
}

// TestNudityTeenToAdult: a teen's image that may show nudity to an adult is
// held; a priority 1 case opens that carries the conversation's risk context
// (the adult asked for a picture); the teen is told, kindly, that it was not
// sent, with Report Remove, Childline and CEOP — and sees their message as
// sent, with that notice under it.
func TestNudityTeenToAdult(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		adult := s.user("na_adult", 34, "Cambridge")
		teen := s.user("na_teen", 15, "Bedford")
		conv := s.pair(adult, "na_adult", teen, "na_teen")
		time.Sleep(10 * time.Millisecond)
		s.send(adult, conv, "you're really mature for your age (TEST)")
		s.send(adult, conv, "send me a pic of you, I'll send you vbucks")
		seen := s.notices(teen)
		s.cl.Answer(nuditytest.Nude)
		m, err := s.image(teen, conv, 2)
		if err != nil || m.Status != "sent" {
			t.Fatalf("the teen's view: %+v %v", m, err)
		}
		if got := seen.next(5 * time.Second); got != "nudity_not_sent" {
			t.Errorf("the teen was shown %q, want nudity_not_sent", got)
		}
		ms := history(t, teen, conv)
		last := ms[len(ms)-1]
		if last.ID != m.ID || last.Notice == nil || last.Notice.Code != "nudity_not_sent" || last.Blurred {
			t.Fatalf("the teen's history ends %+v", last)
		}
		links := ""
		for _, l := range last.Notice.Links {
			links += l.Label + " " + l.Phone + " " + l.URL + "\n"
		}
		for _, want := range []string{"0800 1111", "Report Remove", "ceop.police.uk"} {
			if !strings.Contains(links, want) {
				t.Errorf("the notice's links lack %q: %s", want, links)
			}
		}
		if !strings.Contains(last.Notice.Text, "not sent") || !strings.Contains(last.Notice.Text, "not in trouble") {
			t.Errorf("the notice = %q", last.Notice.Text)
		}
		for _, a := range history(t, adult, conv) {
			if a.Kind == "image" {
				t.Errorf("the adult received it: %+v", a)
			}
		}
		d := checkFinding(t, s.detections(m.ID), nudity.MinorToAdult, nudity.ActHold)
		f, _ := d.Finding()
		if len(f.Nudity.RiskRules) == 0 {
			t.Errorf("no risk context: %+v", f.Nudity)
		}
		s.process(t)
		var nc *client.Case
		for _, c := range s.cases(t) {
			if c.Source == "new_image" {
				nc = &c
			}
		}
		if nc == nil || nc.Priority != 1 || !nc.MinorSender || nc.SenderID != s.id(teen) || !slices.Contains(nc.Reasons, lawreport.ReasonChildImageToAdult) {
			t.Fatalf("the new-image case = %+v", nc)
		}
		if !slices.Contains(nc.Signals, "image_request") {
			t.Errorf("the case lacks the conversation's risk context: signals %v", nc.Signals)
		}
		pkg, _, err := s.cs.Export(t.Context(), nc.ID, filepath.Join(t.TempDir(), "export"), "mod_a", true)
		if err != nil {
			t.Fatal(err)
		}
		if pkg.Priority.Level != 1 || !slices.Contains(pkg.Priority.Reasons, lawreport.ReasonMinorSender) || !bytes.Contains(pkg.NCA, []byte(`"type": "csam_suspected"`)) {
			t.Errorf("package: priority %+v\n%s", pkg.Priority, pkg.NCA)
		}
		for _, r := range append(nc.Reasons, pkg.Priority.Reasons...) {
			if strings.Contains(r, "minor-to-minor") {
				t.Errorf("a teen's image to an adult is given the reason %q", r)
			}
		}
	})
}

// TestNudityTeenToTeen: a teen's image that may show nudity to another teen
// is answered 409 confirm_image and nothing is stored; sent again with
// confirm=true it is delivered, blurred for the recipient (live and in
// history) with nudity_blurred under it, not for the sender; no case opens.
func TestNudityTeenToTeen(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		ctx := t.Context()
		a := s.user("nt_amy", 15, "Bedford")
		b := s.user("nt_ben", 15, "Bedford")
		conv := s.pair(a, "nt_amy", b, "nt_ben")
		events, err := b.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.cl.Answer(nuditytest.Nude)
		img := nuditytest.PNG(64, 48, 3)
		_, err = a.SendImage(ctx, conv, "p.png", "image/png", img, "")
		e := apiErr(t, err)
		if e.Status != 409 || e.Code != client.CodeConfirmImage || !strings.Contains(e.Message, "can't take it back") {
			t.Fatalf("first send: %+v", e)
		}
		if ms := history(t, a, conv); len(ms) != 0 {
			t.Fatalf("something was stored: %+v", ms)
		}
		m, err := a.SendImageConfirmed(ctx, conv, "p.png", "image/png", img, "")
		if err != nil || m.Status != "sent" || m.Blurred {
			t.Fatalf("confirmed send, sender's view: %+v %v", m, err)
		}
		var live *client.Message
		var shown string
		for timeout := time.After(5 * time.Second); live == nil || shown == ""; {
			select {
			case ev := <-events:
				if ev.Type == "message.created" && ev.Message != nil && ev.Message.ID == m.ID {
					live = ev.Message
				}
				if ev.Type == "safety.notice" && ev.Notice != nil {
					shown = ev.Notice.Code
				}
			case <-timeout:
				t.Fatalf("live: message %+v, notice %q", live, shown)
			}
		}
		if !live.Blurred || shown != "nudity_blurred" {
			t.Errorf("live: message %+v, notice %q", live, shown)
		}
		ms := history(t, b, conv)
		if len(ms) != 1 || !ms[0].Blurred || ms[0].Notice == nil || ms[0].Notice.Code != "nudity_blurred" || ms[0].Status != "delivered" {
			t.Fatalf("the recipient's history: %+v", ms)
		}
		if ms := history(t, a, conv); len(ms) != 1 || ms[0].Blurred || ms[0].Notice != nil {
			t.Errorf("the sender's history: %+v", ms)
		}
		if data, _, err := b.Media(ctx, m.MediaID); err != nil || len(data) != len(img) {
			t.Errorf("the recipient cannot open the image: %v", err)
		}
		checkFinding(t, s.detections(m.ID), nudity.MinorToMinor, nudity.ActBlur)
		if ds := s.detections(m.ID); len(ds) != 1 || !strings.HasSuffix(ds[0].Summary, "young person to young person, delivered blurred") {
			t.Errorf("the detection's summary: %+v", ds)
		}
		if n := s.process(t); n != 0 {
			t.Errorf("processed %d detections, want none: no case", n)
		}
		if cs := s.cases(t); len(cs) != 0 {
			t.Errorf("cases = %+v", cs)
		}
		// An image that does not count: confirm or not, delivered plainly.
		s.cl.Answer(nuditytest.Neutral)
		plain, err := s.image(a, conv, 4)
		if err != nil {
			t.Fatal(err)
		}
		if ms := history(t, b, conv); ms[len(ms)-1].ID != plain.ID || ms[len(ms)-1].Blurred {
			t.Errorf("a plain image: %+v", ms[len(ms)-1])
		}
		if ds := s.detections(plain.ID); len(ds) != 0 {
			t.Errorf("a plain image left detections: %+v", ds)
		}
	})
}

// TestNudityTeenRepeats: the third confirmed image in a day from one teen
// to others opens a case (one case for the repeats), with no notice saying
// the images were stopped.
func TestNudityTeenRepeats(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		ctx := t.Context()
		a := s.user("nr_amy", 16, "Bedford")
		b := s.user("nr_ben", 16, "Bedford")
		conv := s.pair(a, "nr_amy", b, "nr_ben")
		s.cl.Answer(nuditytest.Nude)
		for i := range 4 {
			if _, err := a.SendImageConfirmed(ctx, conv, "p.png", "image/png", nuditytest.PNG(64, 48, uint64(10+i)), ""); err != nil {
				t.Fatal(err)
			}
			want := 0
			if i >= 2 {
				want = 1
			}
			if n := s.process(t); n != want {
				t.Errorf("image %d: processed %d detections, want %d", i+1, n, want)
			}
		}
		cs := s.cases(t)
		if len(cs) != 1 || cs[0].Source != "new_image" || !cs[0].MinorSender || cs[0].Priority == 1 || cs[0].Occurrences != 2 {
			t.Fatalf("cases = %+v", cs)
		}
		if ms := history(t, b, conv); len(ms) != 4 || !ms[3].Blurred {
			t.Errorf("the recipient's history: %+v", ms)
		}
	})
}

// TestNudityUnclassifiedTowardMinor: an image toward a teen that the
// classifier cannot classify is held, with a scan_failed detection, exactly
// as one that cannot be hashed; the sender sees "sent".
func TestNudityUnclassifiedTowardMinor(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		adult := s.user("nu_adult", 40, "Cambridge")
		teen := s.user("nu_teen", 13, "Bedford")
		conv := s.pair(adult, "nu_adult", teen, "nu_teen")
		s.cl.Fail(errors.New("model not loaded"))
		m, err := s.image(adult, conv, 5)
		if err != nil || m.Status != "sent" {
			t.Fatalf("the sender's view: %+v %v", m, err)
		}
		if ms := history(t, teen, conv); len(ms) != 0 {
			t.Errorf("the teen received an unclassified image: %+v", ms)
		}
		ds := s.detections(m.ID)
		if len(ds) != 1 || ds[0].Source != safeguard.ScanFailure || !ds[0].Held {
			t.Fatalf("detections = %+v", ds)
		}
		if n := s.process(t); n != 1 {
			t.Errorf("processed %d, want a case", n)
		}
		// A teen's own image to another teen fails closed too.
		other := s.user("nu_peer", 14, "Bedford")
		peer := s.pair(teen, "nu_teen", other, "nu_peer")
		if _, err := s.image(teen, peer, 6); err != nil {
			t.Fatal(err)
		}
		if ms := history(t, other, peer); len(ms) != 0 {
			t.Errorf("the peer received an unclassified image: %+v", ms)
		}
	})
}

// TestNudityGroupWithAnAdult: in a group, an adult among the recipients makes
// a teen's image the adult branch (held, not asked about), and an adult
// sender's image to a group with a teen is held from everyone.
func TestNudityGroupWithAnAdult(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		ctx := t.Context()
		coach := s.user("ng_coach", 38, "Cambridge")
		amy := s.user("ng_amy", 15, "Bedford")
		ben := s.user("ng_ben", 15, "Bedford")
		s.connect(amy, s.h("ng_coach"), coach)
		s.connect(ben, s.h("ng_coach"), coach)
		s.connect(amy, s.h("ng_ben"), ben)
		g, err := amy.CreateConversation(ctx, client.ConversationRequest{Title: "Team", Members: []string{s.h("ng_coach"), s.h("ng_ben")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ben.AcceptInvitation(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		s.cl.Answer(nuditytest.Nude)
		m, err := s.image(amy, g.ID, 7)
		if err != nil || m.Status != "sent" {
			t.Fatalf("a teen's image to a group with an adult: %+v %v (want held, not asked)", m, err)
		}
		checkFinding(t, s.detections(m.ID), nudity.MinorToAdult, nudity.ActHold)
		m2, err := s.image(coach, g.ID, 8)
		if err != nil || m2.Status != "sent" {
			t.Fatal(m2, err)
		}
		checkFinding(t, s.detections(m2.ID), nudity.AdultToMinor, nudity.ActHold)
		for _, c := range []*client.Client{coach, ben} {
			for _, msg := range history(t, c, g.ID) {
				if msg.Kind == "image" && msg.Sender != "" && msg.Sender != mustHandle(t, c) {
					t.Errorf("an image reached a member: %+v", msg)
				}
			}
		}
	})
}

func mustHandle(t *testing.T, c *client.Client) string {
	t.Helper()
	me, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return me.Handle
}

// TestNudityAdultsNotScanned: between adults the classifier is never asked,
// whatever it would say; the image is delivered.
func TestNudityAdultsNotScanned(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		a := s.user("nn_ann", 30, "Cambridge")
		b := s.user("nn_bob", 31, "Cambridge")
		conv := s.pair(a, "nn_ann", b, "nn_bob")
		s.cl.Answer(nuditytest.Nude)
		m, err := s.image(a, conv, 9)
		if err != nil {
			t.Fatal(err)
		}
		if ms := history(t, b, conv); len(ms) != 1 || ms[0].ID != m.ID || ms[0].Blurred {
			t.Errorf("between adults: %+v", ms)
		}
		if n := s.cl.Calls(); n != 0 {
			t.Errorf("the classifier was asked %d times between adults", n)
		}
		if ds := s.detections(m.ID); len(ds) != 0 {
			t.Errorf("detections = %+v", ds)
		}
	})
}

// TestNudityShadow: in shadow mode an adult's image that may show nudity is
// delivered to the teen as if not classified, nobody is told, no case opens,
// and the decision is recorded with its scores.
func TestNudityShadow(t *testing.T) {
	eachNudity(t, nudityscan.Config{Policy: nudity.Policy{Shadow: true}}, func(t *testing.T, s *nudeStack) {
		adult := s.user("ns_adult", 34, "Cambridge")
		teen := s.user("ns_teen", 14, "Bedford")
		conv := s.pair(adult, "ns_adult", teen, "ns_teen")
		s.cl.Answer(nuditytest.Nude)
		m, err := s.image(adult, conv, 11)
		if err != nil {
			t.Fatal(err)
		}
		if ms := history(t, teen, conv); len(ms) != 1 || ms[0].Blurred || ms[0].Notice != nil {
			t.Errorf("shadow mode acted: %+v", ms)
		}
		d := checkFinding(t, s.detections(m.ID), nudity.AdultToMinor, nudity.ActNone)
		f, _ := d.Finding()
		if !f.Nudity.Shadow || d.Held {
			t.Errorf("finding = %+v", f.Nudity)
		}
		if n := s.process(t); n != 0 {
			t.Errorf("processed %d detections, want none", n)
		}
		// A teen's image to a teen is not asked about either.
		other := s.user("ns_peer", 14, "Bedford")
		peer := s.pair(teen, "ns_teen", other, "ns_peer")
		if _, err := s.image(teen, peer, 12); err != nil {
			t.Errorf("shadow mode asked: %v", err)
		}
	})
}

// TestNudityTeenToTeenRiskOpen: between two teens, in a conversation where a
// risk rule has fired, a confirmed image is still delivered blurred, and a
// case opens with the rules as its context.
func TestNudityTeenToTeenRiskOpen(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		ctx := t.Context()
		a := s.user("nk_amy", 15, "Bedford")
		b := s.user("nk_ben", 16, "Bedford")
		conv := s.pair(a, "nk_amy", b, "nk_ben")
		s.send(b, conv, "hi (TEST)")
		// A risk alert of the conversation, as the risk scanner writes one.
		err := s.st.Update(ctx, func(tx store.Tx) error {
			d := &safeguard.Detection{Source: safeguard.RiskRule, At: time.Now(), ConversationID: conv, SenderID: s.id(b),
				ContentKey: fmt.Sprintf("conversation:%d", conv), Severity: safeguard.SeverityHigh, Category: safeguard.CategoryGrooming,
				Summary: "risk rules test at message 1 of the conversation"}
			if err := d.SetFinding(safeguard.Finding{Risk: &safeguard.RiskAlert{RuleSetVersion: "test",
				Rules: []safeguard.FiredRule{{ID: "grooming.image_request", Severity: safeguard.SeverityHigh, Category: safeguard.CategoryGrooming}}}}); err != nil {
				return err
			}
			return tx.CreateDetection(ctx, d)
		})
		if err != nil {
			t.Fatal(err)
		}
		s.cl.Answer(nuditytest.Nude)
		if _, err := s.image(a, conv, 31); client.ErrorCode(err) != client.CodeConfirmImage {
			t.Fatalf("first send: %v, want confirm_image", err)
		}
		m, err := a.SendImageConfirmed(ctx, conv, "p.png", "image/png", nuditytest.PNG(64, 48, 31), "")
		if err != nil {
			t.Fatal(err)
		}
		if ms := history(t, b, conv); ms[len(ms)-1].ID != m.ID || !ms[len(ms)-1].Blurred {
			t.Errorf("the recipient's history: %+v", ms)
		}
		d := checkFinding(t, s.detections(m.ID), nudity.MinorToMinor, nudity.ActBlur)
		f, _ := d.Finding()
		if !slices.Contains(f.Nudity.RiskRules, "grooming.image_request") || f.Nudity.CaseReason != nudity.CaseRisk {
			t.Errorf("finding = %+v", f.Nudity)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}
		cs := s.cases(t)
		if len(cs) != 1 || cs[0].Source != "new_image" || !cs[0].MinorSender || !slices.Contains(cs[0].Signals, "image_request") {
			t.Errorf("cases = %+v", cs)
		}
	})
}

// TestNudityConfirmField: the confirm field is exactly "true" or "false"
// (anything else 400 invalid_field) and comes at most once (twice: 400
// invalid_form); a refused form sends nothing.
func TestNudityConfirmField(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		a := s.user("cf_amy", 15, "Bedford")
		b := s.user("cf_ben", 15, "Bedford")
		conv := s.pair(a, "cf_amy", b, "cf_ben")
		s.cl.Answer(nuditytest.Nude)
		post := func(confirms ...string) (int, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="image"; filename="p.png"`)
			h.Set("Content-Type", "image/png")
			part, _ := mw.CreatePart(h)
			part.Write(nuditytest.PNG(64, 48, 3))
			for _, c := range confirms {
				mw.WriteField("confirm", c)
			}
			mw.Close()
			req, _ := http.NewRequestWithContext(t.Context(), "POST", a.BaseURL+"/api/v1/conversations/"+strconv.FormatInt(conv, 10)+"/messages", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+a.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e client.ErrorBody
			body, _ := io.ReadAll(resp.Body)
			json.Unmarshal(body, &e)
			return resp.StatusCode, e.Error.Code + " " + string(body)
		}
		for _, v := range []string{"TRUE", "True", "1", "t", "yes", ""} {
			if code, body := post(v); code != 400 || !strings.HasPrefix(body, "invalid_field ") {
				t.Errorf("confirm=%q: %d %s", v, code, body)
			}
		}
		if code, body := post("true", "true"); code != 400 || !strings.HasPrefix(body, "invalid_form ") {
			t.Errorf("confirm twice: %d %s", code, body)
		}
		if code, body := post("false"); code != 409 || !strings.HasPrefix(body, client.CodeConfirmImage+" ") {
			t.Errorf("confirm=false: %d %s", code, body)
		}
		if ms := history(t, a, conv); len(ms) != 0 {
			t.Fatalf("a refused form sent something: %+v", ms)
		}
		if code, body := post("true"); code != 201 {
			t.Errorf("confirm=true: %d %s", code, body)
		}
	})
}

// TestNudityTeenImageNeverToAdult: a young person's image the classifier
// flagged, delivered blurred to other young people, is never shown to an
// adult added to the group afterwards (history and media alike), while the
// young recipients and the sender still see it.
func TestNudityTeenImageNeverToAdult(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		ctx := t.Context()
		a := s.user("na_amy", 15, "Bedford")
		b := s.user("na_ben", 15, "Bedford")
		c := s.user("na_cat", 15, "Bedford")
		s.connect(b, s.h("na_amy"), a)
		s.connect(c, s.h("na_amy"), a)
		s.connect(c, s.h("na_ben"), b)
		g, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("na_ben"), s.h("na_cat")}, Title: "Homework"})
		if err != nil {
			t.Fatal(err)
		}
		for _, who := range []*client.Client{b, c} {
			who.AcceptInvitation(ctx, g.ID)
		}
		s.cl.Answer(nuditytest.Neutral)
		plain, err := s.image(a, g.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		s.cl.Answer(nuditytest.Nude)
		m, err := a.SendImageConfirmed(ctx, g.ID, "p.png", "image/png", nuditytest.PNG(64, 48, 3), "")
		if err != nil {
			t.Fatal(err)
		}
		if ms := history(t, c, g.ID); len(ms) != 2 || !ms[len(ms)-1].Blurred {
			t.Fatalf("a young recipient's history: %+v", ms)
		}
		sees := func(who *client.Client, name string, want bool) {
			t.Helper()
			found := false
			page, err := who.History(ctx, g.ID, client.HistoryQuery{Limit: 50})
			if err != nil {
				t.Logf("%s: history: %v", name, err)
			} else {
				for _, x := range page.Messages {
					found = found || x.ID == m.ID
				}
			}
			_, _, err = who.Media(ctx, m.MediaID)
			if found != want || (err == nil) != want {
				t.Errorf("%s: in history %v, media err %v; want seen %v", name, found, err, want)
			}
			if !want && client.ErrorCode(err) != "not_found" {
				t.Errorf("%s: media err %v, want not_found", name, err)
			}
			if _, _, err := who.Media(ctx, plain.MediaID); err != nil {
				t.Errorf("%s cannot open a plain image: %v", name, err)
			}
		}
		sees(c, "a young recipient", true)

		// An adult, a contact of each of them, is added to the group later.
		d := s.user("na_dan", 30, "Bedford")
		for _, p := range []struct {
			c    *client.Client
			name string
		}{{a, "na_amy"}, {b, "na_ben"}, {c, "na_cat"}} {
			s.connect(p.c, s.h("na_dan"), d)
		}
		if _, err := a.AddMember(ctx, g.ID, s.h("na_dan")); err != nil {
			t.Fatal(err)
		}
		d.AcceptInvitation(ctx, g.ID)
		sees(d, "an adult added later", false)
		sees(b, "a young recipient", true)
		sees(a, "the sender", true)
	})
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/nudity/nsfw"
	"github.com/safeguard-dev/safeguard/internal/nudity/nuditytest"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// classifyWith runs nudity classify with the classifier cl in place of the
// built-in model.
func classifyWith(t *testing.T, cl *nuditytest.Classifier, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	out, errOut := &strings.Builder{}, &strings.Builder{}
	e := &env{getenv: func(string) string { return "" }, stdout: out, stderr: errOut, leaf: &nudityCommands[0], classifier: cl}
	err := cmdNudityClassify(t.Context(), e, args)
	code = exitCode(err, e)
	return out.String(), errOut.String(), code
}

// exitCode is the exit status run gives err.
func exitCode(err error, e *env) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exitError); ok {
		e.stderr.Write([]byte(ee.Error() + "\n"))
		return ee.code
	}
	return 1
}

// TestNudityClassify: one JSON line per file with the five scores and the
// decision under the thresholds (the server's flags); a file that cannot be
// read is named on stderr, the others go on, and the exit status is 1.
func TestNudityClassify(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	os.WriteFile(a, nuditytest.PNG(40, 30, 1), 0o600)
	os.WriteFile(b, nuditytest.PNG(40, 30, 2), 0o600)
	notImage := filepath.Join(dir, "notes.txt")
	os.WriteFile(notImage, []byte("not an image\n"), 0o600)
	cl := &nuditytest.Classifier{}
	cl.Answer(nuditytest.Nude)

	out, errOut, code := classifyWith(t, cl, a, filepath.Join(dir, "missing.png"), notImage, b)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"missing.png: no such file", "notes.txt:", "2 of 4 files failed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout:\n%s", out)
	}
	for i, path := range []string{a, b} {
		var got struct {
			File   string             `json:"file"`
			Scores map[string]float64 `json:"scores"`
			Nudity *bool              `json:"nudity"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got.File != path || got.Nudity == nil || !*got.Nudity || got.Scores["porn"] != nuditytest.Nude.Porn || len(got.Scores) != 5 {
			t.Errorf("line %d: %s", i, lines[i])
		}
	}
	if cl.Calls() != 2 {
		t.Errorf("classified %d images, want 2", cl.Calls())
	}

	// The thresholds are the server's flags: raised, the same scores do not
	// count.
	out, _, code = classifyWith(t, cl, "--nudity-porn", "0.95", "--nudity-combined", "1", a)
	if code != 0 || !strings.Contains(out, `"nudity":false`) {
		t.Errorf("raised thresholds: exit %d, %s", code, out)
	}
	// A wrong threshold is named alone, with its value.
	for _, fv := range [][2]string{{"--nudity-porn", "1.5"}, {"--nudity-hentai", "0"}, {"--nudity-combined", "3.5"},
		{"--nudity-porn", "NaN"}, {"--nudity-hentai", "NaN"}, {"--nudity-combined", "NaN"}} {
		flag, value := fv[0], fv[1]
		_, errOut, code := classifyWith(t, cl, flag, value, a)
		others := 0
		for _, f := range []string{"--nudity-porn", "--nudity-hentai", "--nudity-combined"} {
			if f != flag && strings.Contains(errOut, f) {
				others++
			}
		}
		if code != 2 || !strings.Contains(errOut, flag+" "+value+": ") || !strings.Contains(errOut, "above 0") || others != 0 {
			t.Errorf("%s %s: exit %d, %s", flag, value, code, errOut)
		}
	}
	cl.Answer(nuditytest.Neutral)
	if out, _, _ := classifyWith(t, cl, a); !strings.Contains(out, `"nudity":false`) || !strings.Contains(out, `"neutral":0.93`) {
		t.Errorf("neutral: %s", out)
	}
}

// TestChatAsksAboutNudity: two teens chat in the terminal. The sender of an
// image that may show nudity is warned and asked; "no" and "y" send nothing,
// "yes" sends it. The recipient sees it blurred, with the notice, and is
// asked before it is shown; "y" does not show it, "yes" does.
func TestChatAsksAboutNudity(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two chat clients against a server")
	}
	ctx := t.Context()
	cl := &nuditytest.Classifier{}
	srv, _ := startTestServerWith(t, func(c *serveConfig) { c.nudity.classifier = cl })
	url := srv.url
	people := map[string]*client.Client{}
	for _, nick := range []string{"mia", "noah"} {
		c := client.New(url)
		a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nick, Password: "password-" + nick,
			BirthDate: time.Now().AddDate(-15, 0, -1).Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Login(ctx, a.Handle, "password-"+nick); err != nil {
			t.Fatal(err)
		}
		people[nick] = c
	}
	req, err := people["noah"].RequestContact(ctx, people["mia"].Handle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := people["mia"].AcceptContact(ctx, req.ID); err != nil {
		t.Fatal(err)
	}
	conv, err := people["mia"].CreateConversation(ctx, client.ConversationRequest{Members: []string{people["noah"].Handle}})
	if err != nil {
		t.Fatal(err)
	}
	chatFor := func(nick string) *terminal {
		return startChat(t, nick, map[string]string{"SAFEGUARD_PASSWORD": "password-" + nick}, "--server", url, "--handle", people[nick].Handle)
	}
	img := filepath.Join(t.TempDir(), "beach.png")
	data := nuditytest.PNG(64, 48, 7)
	if err := os.WriteFile(img, data, 0o600); err != nil {
		t.Fatal(err)
	}
	mia, noah := chatFor("mia"), chatFor("noah")
	mia.expect(`Type /help`)
	noah.expect(`Type /help`)
	mia.typeLine("/open " + itoa(conv.ID))
	noah.typeLine("/open " + itoa(conv.ID))
	mia.expect(`not end-to-end encrypted`)
	noah.expect(`not end-to-end encrypted`)

	cl.Answer(nuditytest.Nude)
	mia.typeLine("/image " + img)
	mia.expect(`ℹ This picture might show nudity\. Once you send it, you can't take it back`)
	mia.expect(`Call Childline free on 0800 1111\n`)
	mia.expect(`Chat to a Childline counsellor online: https://www\.childline\.org\.uk/get-support/1-2-1-counsellor-chat/`)
	mia.expect(`Send it anyway\? \(yes/no\): `)
	mia.typeLine("no")
	mia.expect(`Not sent\.`)
	if page, _ := people["noah"].History(ctx, conv.ID, client.HistoryQuery{}); len(page.Messages) != 0 {
		t.Fatalf("sent after no: %+v", page.Messages)
	}

	mia.typeLine("/image " + img)
	mia.expect(`Send it anyway\? \(yes/no\): `)
	mia.typeLine("y")
	mia.expect(`Not sent\.`)
	if page, _ := people["noah"].History(ctx, conv.ID, client.HistoryQuery{}); len(page.Messages) != 0 {
		t.Fatalf("sent after y: %+v", page.Messages)
	}

	mia.typeLine("/image " + img)
	mia.expect(`Send it anyway\? \(yes/no\): `)
	mia.typeLine(" YES ")
	mia.expect(`#\d+ \d\d:\d\d you: \[image `)

	id := noah.expect(`#(\d+) \d\d:\d\d ` + regexp.QuoteMeta(people["mia"].Handle) + `: \[blurred image: it might show nudity; /show \d+ to see it\]`)[1]
	noah.expect(`ℹ This picture might show nudity, so we blurred it`)
	if matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "safeguard-chat-"+people["noah"].Handle, id+"-*")); len(matches) != 0 {
		t.Errorf("the blurred image was saved before it was asked for: %v", matches)
	}
	noah.typeLine("/show " + id)
	noah.expect(`Call Childline free on 0800 1111\n`)
	noah.expect(`Chat to a Childline counsellor online: https://`)
	noah.expect(`See it\? \(yes/no\): `)
	noah.typeLine("y")
	noah.expect(`Not shown\.`)
	if matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "safeguard-chat-"+people["noah"].Handle, id+"-*")); len(matches) != 0 {
		t.Errorf("the blurred image was saved after y: %v", matches)
	}
	noah.typeLine("/show " + id)
	noah.expect(`See it\? \(yes/no\): `)
	noah.typeLine("yes")
	saved := noah.expect(`#` + id + ` \[image (\S+), (\d+) bytes\]`)
	t.Cleanup(func() { os.Remove(saved[1]) })
	if got, err := os.ReadFile(saved[1]); err != nil || string(got) != string(data) {
		t.Errorf("the image shown: %v", err)
	}
	mia.typeLine("/quit")
	noah.typeLine("/quit")
	mia.expect(`Bye\.`)
	noah.expect(`Bye\.`)
}

// TestRealModelThroughServer runs the server with the built-in model. A
// harmless generated photo from one teen to another is delivered at once:
// no question, no blur, no detection. With thresholds lowered until any
// image counts, an adult's photo to a teen is held, and its detection
// records the model's own scores for that image.
func TestRealModelThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the model")
	}
	ctx := t.Context()
	photo := nuditytest.Photo(320, 240, 3)
	img, err := imaging.Decode(photo, imaging.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := nsfw.Default()
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Classify(img.Image)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		tweak  func(*serveConfig)
		sender int
		held   bool
	}{
		{"default thresholds, teen to teen", nil, 15, false},
		{"any image counts, adult to teen", func(c *serveConfig) { c.nudity.thresholds.Combined = 1e-9 }, 35, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := startTestServerWith(t, tt.tweak)
			from := signUp(t, srv.url, "sam", tt.sender)
			to := signUp(t, srv.url, "kit", 14)
			req, err := to.RequestContact(ctx, from.Handle)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := from.AcceptContact(ctx, req.ID); err != nil {
				t.Fatal(err)
			}
			conv, err := from.CreateConversation(ctx, client.ConversationRequest{Members: []string{to.Handle}})
			if err != nil {
				t.Fatal(err)
			}
			sent, err := from.SendImage(ctx, conv.ID, "hills.png", "image/png", photo, "")
			if err != nil || sent.Status != "sent" {
				t.Fatalf("send: %+v %v", sent, err)
			}
			page, err := to.History(ctx, conv.ID, client.HistoryQuery{})
			if err != nil {
				t.Fatal(err)
			}
			delivered := len(page.Messages) == 1 && page.Messages[0].ID == sent.ID
			if delivered == tt.held || (delivered && page.Messages[0].Blurred) {
				t.Fatalf("the teen's history: %+v (held %v)", page.Messages, tt.held)
			}
			var ds []*safeguard.Detection
			err = srv.store.View(ctx, func(tx store.Tx) (err error) {
				ds, err = tx.Detections(ctx, store.DetectionQuery{MessageID: sent.ID})
				return
			})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.held {
				if len(ds) != 0 {
					t.Errorf("detections of a delivered photo: %+v", ds)
				}
				return
			}
			if len(ds) != 1 || ds[0].Source != safeguard.NewImage {
				t.Fatalf("detections = %+v", ds)
			}
			f, err := ds[0].Finding()
			if err != nil || f.Nudity == nil {
				t.Fatal(f, err)
			}
			got := f.Nudity.Scores
			if got.Drawing != want.Drawing || got.Hentai != want.Hentai || got.Neutral != want.Neutral || got.Porn != want.Porn || got.Sexy != want.Sexy {
				t.Errorf("recorded scores %+v, the model says %+v", got, want)
			}
			if f.Nudity.Model != builtinModel || f.Nudity.Thresholds.Combined != 1e-9 {
				t.Errorf("finding = %+v", f.Nudity)
			}
		})
	}
}

// signUp signs up and logs in an account of the age given.
func signUp(t *testing.T, url, nick string, age int) *client.Client {
	t.Helper()
	c := client.New(url)
	a, err := c.SignUp(t.Context(), client.SignUpRequest{Nickname: nick, Password: "password-" + nick,
		BirthDate: time.Now().AddDate(-age, 0, -1).Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(t.Context(), a.Handle, "password-"+nick); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNudityClassifyRealModel: without a classifier given, nudity classify
// runs the built-in model; a harmless generated photo does not count.
func TestNudityClassifyRealModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hills.png")
	if err := os.WriteFile(path, nuditytest.Photo(320, 240, 5), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, nil, "nudity", "classify", path)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Scores map[string]float64 `json:"scores"`
		Nudity bool               `json:"nudity"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err, out)
	}
	sum := 0.0
	for _, v := range got.Scores {
		sum += v
	}
	if got.Nudity || len(got.Scores) != 5 || sum < 0.99 || sum > 1.01 || got.Scores["neutral"] < 0.5 {
		t.Errorf("a generated photo: %s", out)
	}
}

// TestNudityShadowMetrics: in shadow mode every image toward a young person
// is delivered, and the operator reads on /metrics what would have been done:
// an adult's nude image to a teen would have been held, a teen's to a teen
// would have been asked about, a harmless one delivered, one the classifier
// fails on held.
func TestNudityShadowMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server")
	}
	ctx := t.Context()
	cl := &nuditytest.Classifier{}
	srv, _ := startTestServerWith(t, func(c *serveConfig) { c.nudity.classifier, c.nudity.shadow = cl, true })
	adult, teen, friend := signUp(t, srv.url, "sam", 35), signUp(t, srv.url, "kit", 14), signUp(t, srv.url, "ash", 15)
	convWith := func(from, to *client.Client) int64 {
		t.Helper()
		req, err := to.RequestContact(ctx, from.Handle)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := from.AcceptContact(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
		conv, err := from.CreateConversation(ctx, client.ConversationRequest{Members: []string{to.Handle}})
		if err != nil {
			t.Fatal(err)
		}
		return conv.ID
	}
	toTeen, teens := convWith(adult, teen), convWith(friend, teen)
	send := func(from *client.Client, conv int64, scores nudity.Scores, fail bool) {
		t.Helper()
		if fail {
			cl.Fail(errors.New("test: the classifier failed"))
		} else {
			cl.Answer(scores)
		}
		if m, err := from.SendImage(ctx, conv, "x.png", "image/png", nuditytest.PNG(32, 32, 1), ""); err != nil || m.Status != "sent" {
			t.Fatalf("send in shadow mode: %+v %v", m, err)
		}
	}
	send(adult, toTeen, nuditytest.Nude, false)
	send(adult, toTeen, nuditytest.Nude, false)
	send(friend, teens, nuditytest.Nude, false)
	send(adult, toTeen, nuditytest.Neutral, false)
	send(friend, teens, nuditytest.Neutral, true)
	if page, err := teen.History(ctx, toTeen, client.HistoryQuery{}); err != nil || len(page.Messages) != 3 {
		t.Fatalf("shadow mode held something: %d messages, %v", len(page.Messages), err)
	}

	req, _ := http.NewRequest("GET", srv.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer operator-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`safeguard_nudity_shadow_decisions_total{branch="adult_to_minor",outcome="held"} 2`,
		`safeguard_nudity_shadow_decisions_total{branch="minor_to_minor",outcome="confirm"} 1`,
		`safeguard_nudity_shadow_decisions_total{branch="adult_to_minor",outcome="delivered"} 1`,
		`safeguard_nudity_shadow_decisions_total{branch="failed",outcome="held"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestNudityThresholdZeroRefused: serve and demo refuse a threshold of 0,
// and serve a NaN one (by flag or environment),
// (never read as "the default") before they start, as nudity classify does.
func TestNudityThresholdZeroRefused(t *testing.T) {
	env := map[string]string{}
	refused := func(args ...string) {
		t.Helper()
		// A server that started anyway stops here, and the test fails.
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		var out, errb bytes.Buffer
		code := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "threshold must be above 0") {
			t.Errorf("%s: exit %d, stderr %q", strings.Join(args, " "), code, errb.String())
		}
	}
	for _, flag := range []string{"--nudity-porn", "--nudity-hentai", "--nudity-combined"} {
		dir := t.TempDir()
		refused(append(serverArgs(dir, filepath.Join(dir, "safeguard.db")), flag, "0")...)
		refused(append(serverArgs(dir, filepath.Join(dir, "safeguard.db")), flag, "NaN")...)
		refused("demo", "--exit", "--dir", t.TempDir(), flag, "0")
	}
	dir := t.TempDir()
	refused(append(serverArgs(dir, filepath.Join(dir, "safeguard.db")), "--nudity-porn", "0", "--nudity-hentai", "0", "--nudity-combined", "0")...)
	// NaN (no score is at least NaN) from the environment too.
	for _, k := range []string{"SAFEGUARD_NUDITY_PORN", "SAFEGUARD_NUDITY_HENTAI", "SAFEGUARD_NUDITY_COMBINED"} {
		env = map[string]string{k: "NaN"}
		dir := t.TempDir()
		refused(serverArgs(dir, filepath.Join(dir, "safeguard.db"))...)
	}
}

// TestNudityClassifySpecialFiles: a FIFO (which would wait for a writer),
// one reached through a symbolic link, and a directory are refused by name
// at once; the regular file beside them is classified.
func TestNudityClassifySpecialFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.png")
	os.WriteFile(a, nuditytest.PNG(40, 30, 1), 0o600)
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "link.png")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	cl := &nuditytest.Classifier{}
	cl.Answer(nuditytest.Neutral)
	done := make(chan struct{})
	var out, errOut string
	var code int
	go func() {
		defer close(done)
		out, errOut, code = classifyWith(t, cl, fifo, link, dir, a)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("nudity classify waits on a FIFO")
	}
	if code != 1 || !strings.Contains(errOut, "3 of 4 files failed") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"pipe.png: not a regular file (a FIFO)", "link.png: not a regular file (a FIFO)", dir + ": not a regular file (a directory)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.Contains(lines[0], a) {
		t.Errorf("stdout:\n%s", out)
	}
}

// TestNudityClassifyAnimated: nudity classify classifies every frame of an
// animated GIF, as the server does, and names the frame whose scores it
// prints; an animated PNG, which the server holds as not classified, is a
// failure that says why.
func TestNudityClassifyAnimated(t *testing.T) {
	dir := t.TempDir()
	anim, apng := filepath.Join(dir, "a.gif"), filepath.Join(dir, "b.png")
	os.WriteFile(anim, nuditytest.GIF(40, 30, 4, 2, 1), 0o600)
	os.WriteFile(apng, nuditytest.APNG(40, 30, 2), 0o600)
	cl := &nuditytest.Classifier{}
	cl.AnswerMarked(nuditytest.Nude)
	out, errOut, code := classifyWith(t, cl, anim, apng)
	if code != 1 || !strings.Contains(errOut, "b.png: not classified (animated_png)") || !strings.Contains(errOut, "1 of 2 files failed") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	var got struct {
		File   string        `json:"file"`
		Nudity bool          `json:"nudity"`
		Frame  int           `json:"frame"`
		Frames int           `json:"frames"`
		Scores nudity.Scores `json:"scores"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &got); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if got.File != anim || !got.Nudity || got.Frame != 3 || got.Frames != 4 || got.Scores != nuditytest.Nude {
		t.Errorf("the GIF's line: %s", out)
	}
	if n := cl.Calls(); n != 4 {
		t.Errorf("classified %d images, want the GIF's 4 frames", n)
	}
}

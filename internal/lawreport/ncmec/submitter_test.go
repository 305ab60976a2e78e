package ncmec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec/ncmectest"
)

const user, pass = "esp-test", "synthetic-secret"

// fixture is a fake NCMEC and a Submitter pointed at it.
type fixture struct {
	srv   *ncmectest.Server
	sub   *ncmec.Submitter
	store *ncmec.MemoryStore
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := ncmectest.NewServer(user, pass)
	t.Cleanup(srv.Close)
	store := &ncmec.MemoryStore{}
	return &fixture{
		srv:   srv,
		store: store,
		sub: &ncmec.Submitter{
			Client: &ncmec.Client{BaseURL: srv.URL, Username: user, Password: pass, HTTP: srv.Client()},
			Store:  store,
			Now:    func() time.Time { return lawreporttest.Now.Add(2 * time.Minute) },
		},
	}
}

// pkg builds the synthetic package with n images (n ≥ 1).
func pkg(t *testing.T, n int) *lawreport.Package {
	t.Helper()
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	for i := 2; i <= n; i++ {
		c := inc.Content[0]
		c.FileName = fmt.Sprintf("extra-%d.png", i)
		c.Data = lawreporttest.Image(uint32(i))
		c.MD5, c.SHA256, c.PDQ, c.MatchedBanks = "", "", "", nil
		inc.Content = append(inc.Content, c)
	}
	p, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// xmllintValidator checks documents against the CyberTipline XSD when
// xmllint is installed; without it the fake's own checks stand alone.
func xmllintValidator(t *testing.T) func([]byte) error {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Log("xmllint not on PATH: the fake checks structure only")
		return nil
	}
	dir := t.TempDir()
	xsd := filepath.Join(dir, "cyber_tipline.xsd")
	if err := os.WriteFile(xsd, lawreport.CyberTiplineXSD, 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	return func(doc []byte) error {
		mu.Lock()
		n++
		p := filepath.Join(dir, fmt.Sprintf("doc%d.xml", n))
		mu.Unlock()
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			return err
		}
		out, err := exec.Command(bin, "--noout", "--nonet", "--schema", xsd, p).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
}

func TestSubmitFlow(t *testing.T) {
	f := newFixture(t)
	f.srv.SetValidate(xmllintValidator(t))
	p := pkg(t, 2)
	rec, err := f.sub.Submit(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls := []string{"submit", "upload", "fileinfo", "upload", "fileinfo", "finish"}
	if diff := cmp.Diff(wantCalls, f.srv.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	fin := f.srv.Finished()
	if len(fin) != 1 {
		t.Fatalf("%d reports finished, want 1", len(fin))
	}
	r := fin[0]
	if !bytes.Equal(r.XML, p.NCMEC) {
		t.Error("NCMEC received a different report")
	}
	if len(r.Files) != 2 || r.Files[0].Name != "01-beach.png" || r.Files[1].Name != "02-extra-2.png" {
		t.Fatalf("files = %+v", r.Files)
	}
	for _, file := range r.Files {
		if file.Details == nil {
			t.Errorf("file %s was not described", file.ID)
		}
	}
	want := lawreport.Receipt{
		Reference: p.Reference, Destination: "ncmec", ID: strconv.FormatInt(r.ID, 10),
		SubmittedAt: lawreporttest.Now.Add(2 * time.Minute), Files: []string{r.Files[0].ID, r.Files[1].ID}, Test: true,
	}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Errorf("receipt (-want +got):\n%s", diff)
	}
	// The hash NCMEC computed is the one the report states.
	if !bytes.Contains(r.Files[0].Details, []byte(`hashType="MD5">`+r.Files[0].MD5+"<")) {
		t.Error("file details MD5 differs from the uploaded file's")
	}
}

// TestRetryAfterFinish: a retry after a successful finish files nothing.
func TestRetryAfterFinish(t *testing.T) {
	f := newFixture(t)
	p := pkg(t, 1)
	first, err := f.sub.Submit(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	calls := len(f.srv.Calls())
	again, err := f.sub.Submit(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || again.ID != first.ID {
		t.Errorf("retry receipt = %+v, want the first (%s) marked Existing", again, first.ID)
	}
	if n := len(f.srv.Calls()); n != calls {
		t.Errorf("retry made %d more calls, want none", n-calls)
	}
	if n := len(f.srv.Finished()); n != 1 {
		t.Errorf("%d reports finished, want 1", n)
	}
}

func TestBadXML(t *testing.T) {
	f := newFixture(t)
	p := pkg(t, 1)
	p.NCMEC = []byte("<report><incidentSummary><incidentType>Something Else</incidentType></incidentSummary></report>")
	_, err := f.sub.Submit(t.Context(), p)
	var re *ncmec.ResponseError
	if !errors.As(err, &re) || re.Code != ncmec.CodeValidationFailed || !errors.Is(err, safeguard.ErrInvalid) {
		t.Fatalf("Submit = %v, want code %d (ErrInvalid)", err, ncmec.CodeValidationFailed)
	}
	if ncmec.Retryable(err) {
		t.Error("a validation failure is reported as retryable")
	}
	if n := len(f.srv.Reports()); n != 0 {
		t.Errorf("%d reports opened, want 0", n)
	}
	if _, ok, _ := f.store.Load(t.Context(), p.Reference); ok {
		t.Error("state saved for a report never opened")
	}
}

func TestWrongCredentials(t *testing.T) {
	f := newFixture(t)
	f.sub.Client.Password = "wrong"
	_, err := f.sub.Submit(t.Context(), pkg(t, 1))
	var re *ncmec.ResponseError
	if !errors.As(err, &re) || re.HTTPStatus != 401 || !errors.Is(err, safeguard.ErrUnauthenticated) {
		t.Fatalf("Submit = %v, want HTTP 401 (ErrUnauthenticated)", err)
	}
	if err := f.sub.Client.Status(t.Context()); !errors.Is(err, safeguard.ErrUnauthenticated) {
		t.Errorf("Status = %v, want ErrUnauthenticated", err)
	}
	f.sub.Client.Password = pass
	if err := f.sub.Client.Status(t.Context()); err != nil {
		t.Errorf("Status with the right password: %v", err)
	}
}

// TestFailureMidUpload: the second upload fails; the report is retracted,
// and a retry files one whole report.
func TestFailureMidUpload(t *testing.T) {
	f := newFixture(t)
	f.srv.FailUploadAt(2)
	p := pkg(t, 2)
	_, err := f.sub.Submit(t.Context(), p)
	if !errors.Is(err, safeguard.ErrUnavailable) || !ncmec.Retryable(err) {
		t.Fatalf("Submit = %v, want a retryable server error", err)
	}
	reps := f.srv.Reports()
	if len(reps) != 1 || !reps[0].Retracted || reps[0].Finished {
		t.Fatalf("after the failure: %+v, want one retracted report", reps)
	}
	if st, _, _ := f.store.Load(t.Context(), p.Reference); st.Phase != ncmec.Retracted {
		t.Errorf("state phase = %q, want retracted", st.Phase)
	}

	rec, err := f.sub.Submit(t.Context(), p)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	fin := f.srv.Finished()
	if len(fin) != 1 || strconv.FormatInt(fin[0].ID, 10) != rec.ID || len(fin[0].Files) != 2 {
		t.Errorf("after the retry: finished %+v, receipt %+v", fin, rec)
	}
}

// TestResumeAfterCrash: a process died with a report open; the retry
// retracts it before filing afresh, so exactly one report is finished.
func TestResumeAfterCrash(t *testing.T) {
	f := newFixture(t)
	p := pkg(t, 1)
	// The crashed attempt: opened and uploaded, then nothing.
	c := f.sub.Client
	id, err := c.Submit(t.Context(), p.NCMEC)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Upload(t.Context(), id, "01-beach.png", bytes.NewReader(lawreporttest.Image(1))); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Save(t.Context(), ncmec.State{Reference: p.Reference, ReportID: id, Phase: ncmec.Open}); err != nil {
		t.Fatal(err)
	}

	rec, err := f.sub.Submit(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	reps := f.srv.Reports()
	if len(reps) != 2 || !reps[0].Retracted || !reps[1].Finished || strconv.FormatInt(reps[1].ID, 10) != rec.ID {
		t.Errorf("reports = %+v, receipt %+v; want the open one retracted and one new one finished", reps, rec)
	}
}

// TestFinishAnswerLost: NCMEC finished the report but the answer was lost.
// The adapter learns from the retraction ("already finished") that it is
// filed, and neither fails nor files again.
func TestFinishAnswerLost(t *testing.T) {
	f := newFixture(t)
	f.srv.LoseFinishAnswer(true)
	p := pkg(t, 1)
	rec, err := f.sub.Submit(t.Context(), p)
	if err != nil {
		t.Fatalf("Submit = %v, want success learnt from the retraction", err)
	}
	fin := f.srv.Finished()
	if len(fin) != 1 || strconv.FormatInt(fin[0].ID, 10) != rec.ID {
		t.Fatalf("finished = %+v, receipt %+v", fin, rec)
	}
	f.srv.LoseFinishAnswer(false)
	again, err := f.sub.Submit(t.Context(), p)
	if err != nil || !again.Existing || again.ID != rec.ID {
		t.Errorf("retry = %+v, %v; want the existing receipt", again, err)
	}
	if n := len(f.srv.Finished()); n != 1 {
		t.Errorf("%d reports finished, want 1", n)
	}
}

// TestCrashAfterFinish: the state still says open though NCMEC finished the
// report (the process died before saving). The retry must not file again.
func TestCrashAfterFinish(t *testing.T) {
	f := newFixture(t)
	p := pkg(t, 1)
	c := f.sub.Client
	id, err := c.Submit(t.Context(), p.NCMEC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Finish(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Save(t.Context(), ncmec.State{Reference: p.Reference, ReportID: id, Phase: ncmec.Open}); err != nil {
		t.Fatal(err)
	}
	rec, err := f.sub.Submit(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Existing || rec.ID != strconv.FormatInt(id, 10) {
		t.Errorf("receipt = %+v, want existing report %d", rec, id)
	}
	if n := len(f.srv.Reports()); n != 1 {
		t.Errorf("%d reports opened, want 1", n)
	}
}

func TestConcurrentSubmits(t *testing.T) {
	f := newFixture(t)
	p := pkg(t, 1)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.sub.Submit(t.Context(), p) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.srv.Reports()); n != 1 {
		t.Errorf("%d reports opened, want 1", n)
	}
}

func TestSubmitRefusals(t *testing.T) {
	f := newFixture(t)
	p := pkg(t, 1)
	prod := &ncmec.Submitter{Client: &ncmec.Client{BaseURL: ncmec.ProductionURL, Username: user, Password: pass}, Store: f.store}
	if _, err := prod.Submit(t.Context(), p); safeguard.ErrorCode(err) != "test_to_production" {
		t.Errorf("test package to production: %v", err)
	}

	inc := lawreporttest.Incident(lawreporttest.Image(1))
	inc.AlreadyReported = []lawreport.PriorReport{{Body: lawreport.BodyNCMEC, Reference: "990011"}}
	already, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.sub.Submit(t.Context(), already)
	if err != nil || !rec.Existing || rec.ID != "990011" {
		t.Errorf("already reported: %+v, %v", rec, err)
	}
	if n := len(f.srv.Calls()); n != 0 {
		t.Errorf("%d calls made, want none", n)
	}
}

func TestCancelledRetracts(t *testing.T) {
	f := newFixture(t)
	p := pkg(t, 1)
	ctx, cancel := context.WithCancel(t.Context())
	// Cancel once the report is open: the upload fails, the retraction
	// still runs.
	f.sub.Store = cancelOnSave{StateStore: f.store, cancel: cancel}
	_, err := f.sub.Submit(ctx, p)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit = %v, want context.Canceled", err)
	}
	reps := f.srv.Reports()
	if len(reps) != 1 || !reps[0].Retracted {
		t.Errorf("reports = %+v, want one retracted", reps)
	}
}

type cancelOnSave struct {
	ncmec.StateStore
	cancel func()
}

func (c cancelOnSave) Save(ctx context.Context, st ncmec.State) error {
	err := c.StateStore.Save(ctx, st)
	c.cancel()
	return err
}

func TestDirStore(t *testing.T) {
	s := &ncmec.DirStore{Dir: filepath.Join(t.TempDir(), "state")}
	if _, ok, err := s.Load(t.Context(), "x"); ok || err != nil {
		t.Fatalf("Load of nothing = %v, %v", ok, err)
	}
	st := ncmec.State{Reference: "SG-1", ReportID: 42, Phase: ncmec.Open, FileIDs: map[int]string{1: "f1"},
		OpenedAt: lawreporttest.Now, UpdatedAt: lawreporttest.Now}
	if err := s.Save(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(t.Context(), "SG-1")
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v", ok, err)
	}
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", diff)
	}
	entries, _ := os.ReadDir(s.Dir)
	if len(entries) != 1 {
		t.Errorf("state dir holds %d entries, want 1", len(entries))
	}

	// A Submitter with a DirStore survives a restart: a new Submitter with
	// the same directory does not file again.
	f := newFixture(t)
	f.sub.Store = s
	p := pkg(t, 1)
	if _, err := f.sub.Submit(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	restarted := &ncmec.Submitter{Client: f.sub.Client, Store: &ncmec.DirStore{Dir: s.Dir}}
	rec, err := restarted.Submit(t.Context(), p)
	if err != nil || !rec.Existing {
		t.Errorf("after restart: %+v, %v", rec, err)
	}
	if n := len(f.srv.Reports()); n != 1 {
		t.Errorf("%d reports opened, want 1", n)
	}
}

// TestLogsHoldNoContent: what the submitter logs names references and
// counts, never people, text or hashes.
func TestLogsHoldNoContent(t *testing.T) {
	const canary = "canary-7f3e9d"
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	inc.Summary += " " + canary
	inc.ReportedUsers[0].Handle = canary + "-handle"
	inc.ReportedUsers[0].Email = canary + "@example.invalid"
	inc.Thread[0].Text = canary
	p, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	var logs bytes.Buffer
	f.sub.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.srv.FailUploadAt(1) // a failure and a retraction get logged too
	_, _ = f.sub.Submit(t.Context(), p)
	if _, err := f.sub.Submit(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	for _, secret := range []string{canary, inc.Content[0].MD5, inc.Content[0].SHA256, lawreporttest.PDQ, "synthetic_teen"} {
		if bytes.Contains(logs.Bytes(), []byte(secret)) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
}

// TestFileStore: the states in a blob store round-trip, under the names a
// DirStore gives its files, and a Submitter over another FileStore of the
// same files (another server) does not file again.
func TestFileStore(t *testing.T) {
	files, err := blob.OpenDir(filepath.Join(t.TempDir(), "reports"))
	if err != nil {
		t.Fatal(err)
	}
	s := &ncmec.FileStore{Files: files}
	if _, ok, err := s.Load(t.Context(), "x"); ok || err != nil {
		t.Fatalf("Load of nothing = %v, %v", ok, err)
	}
	st := ncmec.State{Reference: "SG-1", ReportID: 42, Phase: ncmec.Open, FileIDs: map[int]string{1: "f1"},
		OpenedAt: lawreporttest.Now, UpdatedAt: lawreporttest.Now}
	if err := s.Save(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	got, ok, err := (&ncmec.DirStore{Dir: files.Root()}).Load(t.Context(), "SG-1")
	if err != nil || !ok {
		t.Fatalf("Load through a DirStore = %v, %v", ok, err)
	}
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", diff)
	}

	f := newFixture(t)
	f.sub.Store = s
	p := pkg(t, 1)
	if _, err := f.sub.Submit(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	other := &ncmec.Submitter{Client: f.sub.Client, Store: &ncmec.FileStore{Files: files}}
	rec, err := other.Submit(t.Context(), p)
	if err != nil || !rec.Existing {
		t.Errorf("through another store of the same files: %+v, %v", rec, err)
	}
	if n := len(f.srv.Reports()); n != 1 {
		t.Errorf("%d reports opened, want 1", n)
	}
}

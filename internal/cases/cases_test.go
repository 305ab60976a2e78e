package cases

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestParseDecision(t *testing.T) {
	for in, want := range map[string]string{"report": "report", "no-violation": "no_violation", " Ban ": "ban"} {
		if d, err := ParseDecision(in); err != nil || string(d) != want {
			t.Errorf("ParseDecision(%q) = %q, %v", in, d, err)
		}
	}
	if _, err := ParseDecision("delete"); err == nil {
		t.Error("ParseDecision(delete) succeeded")
	}
}

func TestReasonsFile(t *testing.T) {
	if len(Reasons()) != 5 {
		t.Errorf("%d reasons", len(Reasons()))
	}
	for _, bad := range []string{`{`, `{"reasons":[{"code":"a"}]}`, `{"reasons":[{"code":"a","text":"A","category":"x"},{"code":"a","text":"B","category":"y"}]}`} {
		if _, err := parseReasons([]byte(bad)); err == nil {
			t.Errorf("parseReasons(%s) succeeded", bad)
		}
	}
}

func FuzzParseReasons(f *testing.F) {
	f.Add(reasonsJSON)
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := parseReasons(b)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Code == "" || r.Text == "" || r.Category == "" {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}

func TestWebhookRetries(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls < 3 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	var waits []time.Duration
	w := &Webhook{URL: srv.URL, Attempts: 3, Backoff: time.Second,
		Wait: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	if err := w.Alert(t.Context(), Alert{CaseID: 1, Priority: 1}); err != nil || calls != 3 {
		t.Fatalf("Alert = %v after %d calls", err, calls)
	}
	if len(waits) != 2 || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Errorf("waits %v", waits)
	}
	calls = -10
	if err := w.Alert(t.Context(), Alert{CaseID: 1}); err == nil {
		t.Error("Alert succeeded against a failing hook")
	}
}

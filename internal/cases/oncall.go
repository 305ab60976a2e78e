package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// The kinds of on-call alert.
const (
	AlertPriority1    = "priority_1"    // a case became priority 1
	AlertReportFailed = "report_failed" // a priority 1 case's report could not be filed
)

// Alert is what the on-call person is told of a priority 1 case: what
// happened, the case's id, priority and reasons, and for a failed report
// why it failed — never content, names or handles.
type Alert struct {
	Kind     string             `json:"kind"`
	Failure  string             `json:"failure,omitempty"`
	CaseID   int64              `json:"case_id"`
	Priority int                `json:"priority"`
	Reasons  []string           `json:"reasons"`
	Category safeguard.Category `json:"category"`
	At       time.Time          `json:"at"`
	Test     bool               `json:"test"`
}

// Alerter raises an on-call alert.
type Alerter interface {
	Alert(ctx context.Context, a Alert) error
}

// Webhook is an Alerter that POSTs the alert as JSON to URL, retrying a
// failure (a network error or a status other than 2xx) up to Attempts times
// with a doubling Backoff.
type Webhook struct {
	URL      string
	Attempts int           // default 5
	Backoff  time.Duration // before the second attempt; default 1s
	Client   *http.Client  // default: 10 s timeout
	// Wait pauses between attempts; a test can make it return at once.
	Wait func(ctx context.Context, d time.Duration) error
	Log  *slog.Logger
}

// Alert implements Alerter.
func (w *Webhook) Alert(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	attempts, backoff := w.Attempts, w.Backoff
	if attempts <= 0 {
		attempts = 5
	}
	if backoff <= 0 {
		backoff = time.Second
	}
	hc := w.Client
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	wait := w.Wait
	if wait == nil {
		wait = sleep
	}
	var last error
	for i := range attempts {
		if i > 0 {
			if err := wait(ctx, backoff); err != nil {
				return err
			}
			backoff *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		last = fmt.Errorf("on-call webhook: status %d", resp.StatusCode)
	}
	return fmt.Errorf("on-call alert for case %d after %d attempts: %w", a.CaseID, attempts, last)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// raiseAlert alerts the on-call person about a priority 1 case and records
// the outcome in its timeline.
func (s *Service) raiseAlert(ctx context.Context, c *safeguard.Case) {
	s.alert(ctx, c, AlertPriority1, "")
}

// alert alerts the on-call person of kind about case c (with the reason a
// report failed) and records the outcome in its timeline.
func (s *Service) alert(ctx context.Context, c *safeguard.Case, kind, failure string) {
	if s.Alerter == nil {
		return
	}
	err := s.Alerter.Alert(ctx, Alert{Kind: kind, Failure: failure, CaseID: c.ID, Priority: c.Priority, Reasons: c.Reasons,
		Category: c.Category, At: s.clock(), Test: s.cfg.TestReports})
	action, reason := "oncall_alerted", kind
	if err != nil {
		action, reason = "oncall_failed", kind+": "+err.Error()
		s.Log.ErrorContext(ctx, "cases: on-call alert", "case", c.ID, "kind", kind, "err", err)
	}
	uerr := updateTx(ctx, s.Store, func(tx Tx) error {
		return event(ctx, tx, c, s.clock(), "system", action, c.Status, reason, nil)
	})
	if uerr != nil {
		s.Log.ErrorContext(ctx, "cases: record on-call alert", "case", c.ID, "err", uerr)
	}
}

// notice is a live safety notice for one account.
func notice(to int64, code string) messaging.Notification {
	return messaging.Notification{Type: safeguard.EventSafetyNotice, To: []int64{to}, Notice: code}
}

// endSessions ends the live streams of an account whose sessions were
// deleted (a suspension).
func endSessions(account int64) messaging.Notification {
	return messaging.Notification{To: []int64{account}, End: messaging.EndSession}
}

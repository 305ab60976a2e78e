package web_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// TestAttackLoginTiming replays the probe of a wrong password: for an account
// that exists, the server wrote the failed login before answering, which a
// handle nobody has did not, so the time of the answer told which handles
// exist. Now both make the same store calls, in the same order, and the
// failed login is recorded off the request path all the same.
func TestAttackLoginTiming(t *testing.T) {
	eachVisibility(t, func(t *testing.T, s *visibilityStack) {
		ctx := t.Context()
		teen := s.signUp("teen", 14)
		unknown := s.nobody(teen.handle)
		var errTeen, errUnknown error
		c := client.New(s.url)
		callsTeen := s.traced(func() { _, errTeen = c.Login(ctx, teen.handle, "wrong horse battery") })
		callsUnknown := s.traced(func() { _, errUnknown = c.Login(ctx, unknown, "wrong horse battery") })
		sameAnswer(t, "login", errUnknown, errTeen)
		if diff := cmp.Diff(callsUnknown, callsTeen); diff != "" {
			t.Errorf("store calls for a wrong password differ from an unknown handle's (-unknown +existing):\n%s", diff)
		}
		if slices.Contains(callsTeen, "RecordLogin") {
			t.Errorf("the failed login is written on the request path: %q", callsTeen)
		}
		if err := s.svc.FlushRefusals(ctx); err != nil {
			t.Fatal(err)
		}
		var logins int
		err := s.st.View(ctx, func(tx store.Tx) error {
			ls, err := tx.Logins(ctx, teen.id, time.Time{})
			for _, l := range ls {
				if !l.OK {
					logins++
				}
			}
			return err
		})
		if err != nil || logins != 1 {
			t.Errorf("failed logins recorded for the account = %d, %v; want 1", logins, err)
		}
	})
}

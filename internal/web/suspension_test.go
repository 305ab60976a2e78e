package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// An account the operator suspended learns the operator's reason and how to
// contest it (the support contact), not a dead end; an active account has no
// suspension to be told of.
func TestOperatorSuspensionSaysWhyAndHowToContest(t *testing.T) {
	eachCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		ann := s.user("sus_ann", 30, "")
		if ap, err := ann.Appeals(ctx); err != nil || ap.Suspension != nil || ap.Decisions == nil {
			t.Fatalf("an active account's appeals: %+v %v", ap, err)
		}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("sus_ann"), "suspend", client.OperatorChange{Reason: "Sent the same link to many strangers.", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		if _, err := ann.Login(ctx, s.h("sus_ann"), pw); err != nil {
			t.Fatalf("a suspended account logs in to see why: %v", err)
		}
		ap, err := ann.Appeals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sp := ap.Suspension
		if sp == nil || sp.By != "operator" || sp.Appealable || !strings.Contains(sp.Reason, "Sent the same link to many strangers.") ||
			sp.Contact != testSupportContact || !strings.Contains(sp.HowToContest, testSupportContact) {
			t.Fatalf("the operator's suspension as its account sees it: %+v", sp)
		}
		if strings.Contains(sp.Reason, "amir") {
			t.Errorf("the operator's name reaches the account: %q", sp.Reason)
		}
		// Lifted, there is nothing more to say.
		if _, err := s.admin.AdminAccountChange(ctx, s.h("sus_ann"), "unsuspend", client.OperatorChange{Reason: "appeal upheld", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		if _, err := ann.Login(ctx, s.h("sus_ann"), pw); err != nil {
			t.Fatal(err)
		}
		if ap, err := ann.Appeals(ctx); err != nil || ap.Suspension != nil {
			t.Errorf("after unsuspending: %+v %v", ap, err)
		}
	})
}

// GET /api/v1/about needs no session and carries the support contact.
func TestAboutCarriesSupportContact(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ab, err := client.New(s.url).About(t.Context())
		if err != nil || ab.SupportContact != testSupportContact {
			t.Fatalf("about: %+v %v", ab, err)
		}
		res, err := http.Get(s.url + "/api/v1/about")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("about without a session: %d", res.StatusCode)
		}
	})
}

package web_test

import (
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// A child under 13 who deletes her own account: her guardian is told on the
// live stream, naming her and nothing more of her account.
func TestGuardianToldWhenChildDeletes(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		mum := s.verified("cd_mum")
		pip := s.register(client.SignUpRequest{Nickname: "cd_pip", Password: pw, BirthDate: born(10)})
		code, err := pip.NewGuardianCode(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mum.LinkGuardian(ctx, code.GuardianCode); err != nil {
			t.Fatal(err)
		}
		events := stream(t, mum)
		if _, err := pip.DeleteAccount(ctx, pw); err != nil {
			t.Fatal(err)
		}
		got := eventsUntil(t, events, "the guardian's stream", func(ev client.Event) bool { return ev.Type == "guardian.child_deleted" })
		ev := got[len(got)-1]
		if ev.Account == nil || ev.Account.Handle != s.h("cd_pip") || ev.Account.Status != "deleted" || ev.Notice == nil || ev.Notice.Code != "guardian_child_deleted" {
			t.Errorf("the guardian is told: %+v", ev)
		}
		if ev.Account != nil && (ev.Account.LocalAuthority != "" || ev.Account.AgeBand != "") {
			t.Errorf("the event carries more than the handle: %+v", ev.Account)
		}
	})
}

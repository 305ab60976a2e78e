package cases

import (
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// TestModeratorMay keeps the one answer to who may open and decide a case
// whose sender is a young person: a senior moderator or an admin.
func TestModeratorMay(t *testing.T) {
	adult := &safeguard.Case{}
	minor := &safeguard.Case{MinorSender: true, SeniorReview: true}
	tests := []struct {
		role                      safeguard.ModeratorRole
		seeMinor, decideMinor     bool
		decideAdult, holdEvidence bool
	}{
		{"", false, false, true, false},
		{safeguard.RoleModerator, false, false, true, false},
		{safeguard.RoleSenior, true, true, true, false},
		{safeguard.RoleAdmin, true, true, true, true},
	}
	for _, tt := range tests {
		m := Moderator{Name: "ana", Role: tt.role}
		if got := m.MaySee(minor); got != tt.seeMinor {
			t.Errorf("%q MaySee(minor sender) = %v, want %v", tt.role, got, tt.seeMinor)
		}
		if got := m.MayDecide(minor); got != tt.decideMinor {
			t.Errorf("%q MayDecide(minor sender) = %v, want %v", tt.role, got, tt.decideMinor)
		}
		if got := m.MaySee(adult) && m.MayDecide(adult); got != tt.decideAdult {
			t.Errorf("%q may see and decide an adult's case = %v, want %v", tt.role, got, tt.decideAdult)
		}
		if got := m.Can(moderators.LegalHold); got != tt.holdEvidence {
			t.Errorf("%q Can(LegalHold) = %v, want %v", tt.role, got, tt.holdEvidence)
		}
	}
	if RoleFor(true) != safeguard.RoleSenior || RoleFor(false) != safeguard.RoleModerator {
		t.Errorf("RoleFor(true), RoleFor(false) = %q, %q", RoleFor(true), RoleFor(false))
	}
}

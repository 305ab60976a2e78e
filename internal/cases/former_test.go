package cases

import (
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestFormerMemberSawOnlyWhatCameBeforeLeaving(t *testing.T) {
	left := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	before := &safeguard.Message{CreatedAt: left.Add(-time.Second)}
	same := &safeguard.Message{CreatedAt: left}
	after := &safeguard.Message{CreatedAt: left.Add(time.Second)}
	tests := []struct {
		state              safeguard.MemberState
		before, same, post bool
	}{
		{safeguard.MemberJoined, true, true, true},
		{safeguard.MemberLeft, true, false, false},
		{safeguard.MemberRemoved, true, false, false},
		{safeguard.MemberInvited, false, false, false}, // an invitation shows no messages
	}
	for _, tt := range tests {
		m := &safeguard.Member{AccountID: 1, State: tt.state, UpdatedAt: left}
		if saw(m, before) != tt.before || saw(m, same) != tt.same || saw(m, after) != tt.post {
			t.Errorf("%s: saw before/at/after leaving = %v %v %v, want %v %v %v", tt.state,
				saw(m, before), saw(m, same), saw(m, after), tt.before, tt.same, tt.post)
		}
	}
	if saw(nil, before) {
		t.Error("someone never in the conversation saw a message")
	}
}

package policy_test

import (
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
)

func TestMessageSight(t *testing.T) {
	const sender, other = 1, 2
	tests := []struct {
		name   string
		viewer int64
		status safeguard.MessageStatus
		want   policy.Sight
	}{
		{"sender, delivered", sender, safeguard.Delivered, policy.SeenSent},
		{"sender, held: looks sent", sender, safeguard.Held, policy.SeenSent},
		{"other, delivered", other, safeguard.Delivered, policy.SeenDelivered},
		{"other, held: unseen", other, safeguard.Held, policy.Unseen},
	}
	for _, tt := range tests {
		m := &safeguard.Message{SenderID: sender, Status: tt.status}
		if got := policy.MessageSight(tt.viewer, m); got != tt.want {
			t.Errorf("%s: MessageSight = %v, want %v", tt.name, got, tt.want)
		}
		if got, want := policy.SeesMessage(tt.viewer, m), tt.want != policy.Unseen; got != want {
			t.Errorf("%s: SeesMessage = %v, want %v", tt.name, got, want)
		}
	}
}

func TestActing(t *testing.T) {
	for _, st := range []safeguard.AccountStatus{safeguard.Active, safeguard.PendingGuardian, safeguard.Suspended} {
		d := policy.Acting(policy.Party{ID: 1, Status: st})
		if d.Allow != (st == safeguard.Active) {
			t.Errorf("Acting(%s).Allow = %v", st, d.Allow)
		}
		if !d.Allow && d.Reason != policy.ReasonRequesterInactive {
			t.Errorf("Acting(%s).Reason = %q, want %q", st, d.Reason, policy.ReasonRequesterInactive)
		}
	}
}

package messaging_test

import (
	"context"
	"slices"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// joiningScanner lets a young person accept a group invitation while the
// first message it scans is being checked, and keeps who each scan was
// for.
type joiningScanner struct {
	join  func()
	scans [][]int64 // each scan's recipients
}

func (s *joiningScanner) Scan(_ context.Context, c *messaging.Content) (messaging.Verdict, error) {
	var to []int64
	for _, r := range c.Recipients {
		to = append(to, r.ID)
	}
	slices.Sort(to)
	s.scans = append(s.scans, to)
	if len(s.scans) == 1 {
		s.join()
	}
	return messaging.Verdict{}, nil
}

// TestJoinDuringSend: a young person who joins a group while an adult's
// message to it is being checked makes the message be checked again, for
// her too, before it is stored; she then sees it, checked for her.
func TestJoinDuringSend(t *testing.T) {
	sc := &joiningScanner{}
	w := newWorldWith(t, messaging.Config{}, sc)
	ann, bob, tia := w.account("ann", adultBorn), w.account("bob", adultBorn), w.account("tia", teenBorn)
	w.connect(ann, bob)
	w.connect(tia, ann)
	w.connect(tia, bob)
	ctx := t.Context()
	v, _, err := w.svc.CreateConversation(ctx, ann.ID, messaging.NewConversation{Members: []string{bob.Handle, tia.Handle}, Title: "the group"})
	if err != nil {
		t.Fatal(err)
	}
	conv := v.ID
	if st := w.states(ann, conv); st[tia.Handle] != safeguard.MemberInvited {
		t.Fatalf("tia is %s, want invited", st[tia.Handle])
	}
	sc.join = func() {
		if _, err := w.svc.AcceptInvitation(ctx, tia.ID, conv); err != nil {
			t.Errorf("tia accepts: %v", err)
		}
	}
	m, err := w.svc.SendText(ctx, ann.ID, conv, "hello (TEST)", safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{bob.ID, tia.ID}
	slices.Sort(want)
	if len(sc.scans) != 2 || !slices.Equal(sc.scans[1], want) {
		t.Fatalf("scans were for %v, want a second one for %v after tia joined", sc.scans, want)
	}
	if got := w.history(tia, conv); !slices.Contains(got, m.ID) {
		t.Errorf("tia's history = %v, want the message checked for her (%d)", got, m.ID)
	}
}

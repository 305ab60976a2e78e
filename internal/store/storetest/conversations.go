package storetest

import (
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var conversationTests = []test{
	{"ConversationRoundTrip", testConversationRoundTrip},
	{"DirectConversation", testDirectConversation},
	{"ConversationsOfAccount", testConversationsOfAccount},
	{"SetMember", testSetMember},
	{"MemberConversations", testMemberConversations},
	{"ConversationAccounts", testConversationAccounts},
	{"AccountConversationIDs", testAccountConversationIDs},
	{"SetConversationTitle", testSetConversationTitle},
}

func testConversationRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	c := account(t, s, "c", teenBirth)
	in := safeguard.Conversation{
		Kind: safeguard.Group, Title: "Book club ☕", E2EE: true, App: "chat", CreatedBy: b.ID, CreatedAt: t0.In(local),
		Members: []safeguard.Member{ // not in account order: they come back in account order
			{AccountID: c.ID, State: safeguard.MemberInvited, InvitedBy: b.ID, UpdatedAt: at(1)},
			{AccountID: a.ID, State: safeguard.MemberJoined, InvitedBy: b.ID, UpdatedAt: at(2), JoinedAt: at(2)},
			{AccountID: b.ID, State: safeguard.MemberJoined, UpdatedAt: t0, JoinedAt: t0},
		},
	}
	conv := in
	update(t, s, func(tx store.Tx) error { return tx.CreateConversation(ctx, &conv) })
	if conv.ID <= 0 {
		t.Fatalf("CreateConversation set ID %d", conv.ID)
	}
	want := in
	want.ID = conv.ID
	want.Members = []safeguard.Member{in.Members[1], in.Members[2], in.Members[0]}
	empty := safeguard.Conversation{Kind: safeguard.Group}
	update(t, s, func(tx store.Tx) error { return tx.CreateConversation(ctx, &empty) })
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Conversation(ctx, conv.ID)
		if err != nil {
			return err
		}
		if d := diff(&want, got); d != "" {
			t.Errorf("Conversation (-want +got):\n%s", d)
		}
		got, err = tx.Conversation(ctx, empty.ID)
		if err != nil {
			return err
		}
		if d := diff(&empty, got); d != "" {
			t.Errorf("Conversation without members (-want +got):\n%s", d)
		}
		_, err = tx.Conversation(ctx, empty.ID+100)
		wantKind(t, "Conversation(missing)", err, safeguard.ErrNotFound, "")
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.CreateConversation(ctx, &safeguard.Conversation{Kind: safeguard.Group, Members: []safeguard.Member{
			{AccountID: a.ID, State: safeguard.MemberJoined}, {AccountID: a.ID, State: safeguard.MemberInvited},
		}})
	})
	wantKind(t, "member listed twice", err, safeguard.ErrInvalid, "")
}

// direct returns a one-to-one conversation of a and b, both joined.
func direct(a, b int64) *safeguard.Conversation {
	return &safeguard.Conversation{
		Kind: safeguard.Direct, App: safeguard.DefaultApp, CreatedBy: a, CreatedAt: t0,
		Members: []safeguard.Member{
			{AccountID: a, State: safeguard.MemberJoined, UpdatedAt: t0, JoinedAt: t0},
			{AccountID: b, State: safeguard.MemberJoined, UpdatedAt: t0, JoinedAt: t0},
		},
	}
}

func testDirectConversation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	c := account(t, s, "c", adultBirth)
	ab := direct(b.ID, a.ID)
	update(t, s, func(tx store.Tx) error { return tx.CreateConversation(ctx, ab) })
	group(t, s, false, a.ID, b.ID) // a group of the same two is not their direct conversation
	view(t, s, func(tx store.Tx) error {
		for _, ends := range [][2]int64{{a.ID, b.ID}, {b.ID, a.ID}} {
			got, err := tx.DirectConversation(ctx, ends[0], ends[1])
			if err != nil {
				return err
			}
			if got.ID != ab.ID || len(got.Members) != 2 {
				t.Errorf("DirectConversation(%d, %d) = %d with %d members, want %d with 2", ends[0], ends[1], got.ID, len(got.Members), ab.ID)
			}
		}
		_, err := tx.DirectConversation(ctx, a.ID, c.ID)
		wantKind(t, "DirectConversation(no conversation)", err, safeguard.ErrNotFound, "")
		return nil
	})
	// One direct conversation per pair, whoever starts it.
	for _, ends := range [][2]int64{{a.ID, b.ID}, {b.ID, a.ID}} {
		err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateConversation(ctx, direct(ends[0], ends[1])) })
		wantKind(t, "second direct conversation", err, safeguard.ErrConflict, "conflict")
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateConversation(ctx, direct(a.ID, c.ID)) })
}

func testConversationsOfAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	c := account(t, s, "c", adultBirth)
	mk := func(created int, states map[int64]safeguard.MemberState) *safeguard.Conversation {
		conv := &safeguard.Conversation{Kind: safeguard.Group, Title: "g", CreatedBy: a.ID, CreatedAt: at(created)}
		for _, id := range []int64{a.ID, b.ID, c.ID} {
			if st, ok := states[id]; ok {
				m := safeguard.Member{AccountID: id, State: st, UpdatedAt: at(created)}
				if st == safeguard.MemberJoined {
					m.JoinedAt = m.UpdatedAt
				}
				conv.Members = append(conv.Members, m)
			}
		}
		update(t, s, func(tx store.Tx) error { return tx.CreateConversation(ctx, conv) })
		return conv
	}
	joined := mk(0, map[int64]safeguard.MemberState{a.ID: safeguard.MemberJoined, b.ID: safeguard.MemberJoined, c.ID: safeguard.MemberLeft})
	invited := mk(20, map[int64]safeguard.MemberState{a.ID: safeguard.MemberJoined, b.ID: safeguard.MemberInvited})
	mk(30, map[int64]safeguard.MemberState{a.ID: safeguard.MemberJoined, b.ID: safeguard.MemberLeft})
	mk(40, map[int64]safeguard.MemberState{a.ID: safeguard.MemberJoined, b.ID: safeguard.MemberRemoved})
	newer := mk(10, map[int64]safeguard.MemberState{b.ID: safeguard.MemberJoined})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Conversations(ctx, b.ID)
		if err != nil {
			return err
		}
		// Most recently created first, each with every member.
		if d := diff([]*safeguard.Conversation{invited, newer, joined}, got); d != "" {
			t.Errorf("Conversations(b) (-want +got):\n%s", d)
		}
		got, err = tx.Conversations(ctx, c.ID)
		if err != nil {
			return err
		}
		if len(got) != 0 {
			t.Errorf("Conversations(c), who left, = %d conversations, want none", len(got))
		}
		return nil
	})
}

func testSetMember(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	k := account(t, s, "k", teenBirth)
	conv := group(t, s, false, a.ID, b.ID)
	invite := safeguard.Member{AccountID: k.ID, State: safeguard.MemberInvited, InvitedBy: a.ID, UpdatedAt: at(5)}
	update(t, s, func(tx store.Tx) error { return tx.SetMember(ctx, conv.ID, invite) })
	// JoinedAt is the store's: when the member last became joined, kept
	// while they stay joined and after they go.
	accept := safeguard.Member{AccountID: k.ID, State: safeguard.MemberJoined, InvitedBy: a.ID, UpdatedAt: at(6).In(local)}
	leave := safeguard.Member{AccountID: b.ID, State: safeguard.MemberLeft, UpdatedAt: at(7)}
	again := safeguard.Member{AccountID: a.ID, State: safeguard.MemberJoined, UpdatedAt: at(8)}
	update(t, s, func(tx store.Tx) error {
		if err := tx.SetMember(ctx, conv.ID, accept); err != nil {
			return err
		}
		if err := tx.SetMember(ctx, conv.ID, again); err != nil {
			return err
		}
		return tx.SetMember(ctx, conv.ID, leave)
	})
	accept.JoinedAt = accept.UpdatedAt
	leave.JoinedAt = t0
	again.JoinedAt = t0
	want := []safeguard.Member{again, leave, accept}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Conversation(ctx, conv.ID)
		if err != nil {
			return err
		}
		if d := diff(want, got.Members); d != "" {
			t.Errorf("members after SetMember (-want +got):\n%s", d)
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.SetMember(ctx, conv.ID+100, invite) })
	wantKind(t, "SetMember(missing conversation)", err, safeguard.ErrNotFound, "")
}

func testMemberConversations(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	e1 := group(t, s, true, a.ID, b.ID)
	p1 := group(t, s, false, a.ID, b.ID)
	e2 := group(t, s, true, a.ID)
	e3 := group(t, s, true, b.ID, a.ID)
	update(t, s, func(tx store.Tx) error {
		return tx.SetMember(ctx, e3.ID, safeguard.Member{AccountID: a.ID, State: safeguard.MemberLeft, UpdatedAt: at(1)})
	})
	update(t, s, func(tx store.Tx) error {
		return tx.SetMember(ctx, e2.ID, safeguard.Member{AccountID: b.ID, State: safeguard.MemberInvited, UpdatedAt: at(1)})
	})
	tests := []struct {
		acct int64
		e2ee bool
		want []int64
	}{
		{a.ID, true, []int64{e1.ID, e2.ID}},
		{a.ID, false, []int64{p1.ID}},
		{b.ID, true, []int64{e1.ID, e2.ID, e3.ID}},
		{b.ID + 10, true, nil},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.MemberConversations(ctx, tt.acct, tt.e2ee)
			if err != nil {
				return err
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("MemberConversations(%d, %v) (-want +got):\n%s", tt.acct, tt.e2ee, d)
			}
		}
		return nil
	})
}

func testConversationAccounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", teenBirth)
	c := account(t, s, "c", childBirth)
	conv := &safeguard.Conversation{Kind: safeguard.Group, Title: "g", App: "chat", CreatedBy: a.ID, CreatedAt: t0,
		Members: []safeguard.Member{
			{AccountID: a.ID, State: safeguard.MemberJoined, InvitedBy: a.ID, UpdatedAt: t0},
			{AccountID: b.ID, State: safeguard.MemberInvited, InvitedBy: a.ID, UpdatedAt: at(1)},
			{AccountID: c.ID, State: safeguard.MemberLeft, InvitedBy: a.ID, UpdatedAt: at(2)},
		}}
	update(t, s, func(tx store.Tx) error { return tx.CreateConversation(ctx, conv) })
	view(t, s, func(tx store.Tx) error {
		want, err := tx.Conversation(ctx, conv.ID)
		if err != nil {
			return err
		}
		wantAccounts, err := tx.AccountsByID(ctx, []int64{a.ID, b.ID, c.ID})
		if err != nil {
			return err
		}
		got, accounts, err := tx.ConversationAccounts(ctx, conv.ID)
		if err != nil {
			return err
		}
		if d := diff(want, got); d != "" {
			t.Errorf("ConversationAccounts conversation (-Conversation +got):\n%s", d)
		}
		if d := diff(wantAccounts, accounts); d != "" {
			t.Errorf("ConversationAccounts accounts (-AccountsByID +got):\n%s", d)
		}
		_, _, err = tx.ConversationAccounts(ctx, 99999)
		wantKind(t, "ConversationAccounts(unknown)", err, safeguard.ErrNotFound, "")
		return nil
	})
}

func testAccountConversationIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	c := account(t, s, "c", adultBirth)
	joined := group(t, s, false, a.ID, b.ID)
	left := group(t, s, false, b.ID, a.ID)
	removed := group(t, s, true, b.ID, a.ID)
	invited := group(t, s, false, b.ID)
	never := group(t, s, false, b.ID, c.ID)
	update(t, s, func(tx store.Tx) error {
		for _, m := range []struct {
			conv  int64
			state safeguard.MemberState
		}{{left.ID, safeguard.MemberLeft}, {removed.ID, safeguard.MemberRemoved}, {invited.ID, safeguard.MemberInvited}} {
			if err := tx.SetMember(ctx, m.conv, safeguard.Member{AccountID: a.ID, State: m.state, UpdatedAt: at(1)}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		for _, tt := range []struct {
			acct int64
			want []int64
		}{
			{a.ID, []int64{joined.ID, left.ID, removed.ID, invited.ID}},
			{c.ID, []int64{never.ID}},
			{c.ID + 10, nil},
		} {
			got, err := tx.AccountConversationIDs(ctx, tt.acct)
			if err != nil {
				return err
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("AccountConversationIDs(%d) (-want +got):\n%s", tt.acct, d)
			}
		}
		return nil
	})
}

func testSetConversationTitle(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	conv := group(t, s, false, a.ID)
	other := group(t, s, false, a.ID)
	update(t, s, func(tx store.Tx) error { return tx.SetConversationTitle(ctx, conv.ID, "Ramblers 🥾") })
	view(t, s, func(tx store.Tx) error {
		for id, want := range map[int64]string{conv.ID: "Ramblers 🥾", other.ID: other.Title} {
			got, err := tx.Conversation(ctx, id)
			if err != nil {
				return err
			}
			if got.Title != want {
				t.Errorf("conversation %d title %q, want %q", id, got.Title, want)
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.SetConversationTitle(ctx, other.ID+100, "x") })
	wantKind(t, "SetConversationTitle(missing)", err, safeguard.ErrNotFound, "")
}

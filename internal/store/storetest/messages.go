package storetest

import (
	"fmt"
	"net/netip"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var messageTests = []test{
	{"MessageRoundTrip", testMessageRoundTrip},
	{"MessagePages", testMessagePages},
	{"HeldMessages", testHeldMessages},
	{"SetMessageStatus", testSetMessageStatus},
	{"Media", testMedia},
	{"ReadMarkers", testReadMarkers},
}

func testMessageRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	conv := group(t, s, true, a.ID, b.ID)
	v6 := netip.MustParseAddrPort("[2001:db8:85a3::8a2e:370:7334]:61000")
	v4 := netip.MustParseAddrPort("192.0.2.44:3456")
	tests := []struct {
		name string
		m    safeguard.Message
	}{
		{"text", safeguard.Message{ConversationID: conv.ID, SenderID: a.ID, App: "chat", Kind: safeguard.TextMessage,
			Text: "hello, 世界 — \"quotes\" and 'apostrophes' ?", Status: safeguard.Delivered,
			Origin: safeguard.Origin{Addr: v4, At: t0}, CreatedAt: t0.In(local)}},
		{"image", safeguard.Message{ConversationID: conv.ID, SenderID: b.ID, App: "chat", Kind: safeguard.ImageMessage,
			Text: "caption", MediaID: 77, Status: safeguard.Held, Origin: safeguard.Origin{Addr: v6, At: at(1)}, CreatedAt: at(1)}},
		{"envelope", safeguard.Message{ConversationID: conv.ID, SenderID: a.ID, Kind: safeguard.EnvelopeMessage,
			Envelope: []byte{0, 1, 2, 0xff, 0}, FrankingTag: []byte("tag-32-bytes-of-hmac-commitment!"),
			Status: safeguard.Delivered, CreatedAt: at(2)}},
		{"empty", safeguard.Message{ConversationID: conv.ID}},
	}
	for _, tt := range tests {
		m := tt.m
		update(t, s, func(tx store.Tx) error { return tx.CreateMessage(ctx, &m) })
		if m.ID <= 0 {
			t.Fatalf("%s: CreateMessage set ID %d", tt.name, m.ID)
		}
		want := tt.m
		want.ID = m.ID
		view(t, s, func(tx store.Tx) error {
			got, err := tx.Message(ctx, m.ID)
			if err != nil {
				return err
			}
			if d := diff(&want, got); d != "" {
				t.Errorf("%s: Message (-want +got):\n%s", tt.name, d)
			}
			return nil
		})
	}
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Message(ctx, 1<<40)
		wantKind(t, "Message(missing)", err, safeguard.ErrNotFound, "")
		return nil
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateMessage(ctx, message(conv.ID+100, a.ID, "lost")) })
	wantKind(t, "CreateMessage(missing conversation)", err, safeguard.ErrNotFound, "")
}

func testMessagePages(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	conv := group(t, s, false, a.ID)
	other := group(t, s, false, a.ID)
	var all []int64 // oldest first
	update(t, s, func(tx store.Tx) error {
		for i := range 10 {
			m := message(conv.ID, a.ID, fmt.Sprint(i))
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			all = append(all, m.ID)
			if err := tx.CreateMessage(ctx, message(other.ID, a.ID, "elsewhere")); err != nil {
				return err
			}
		}
		return nil
	})
	rev := func(ids []int64) []int64 {
		out := make([]int64, len(ids))
		for i, id := range ids {
			out[len(ids)-1-i] = id
		}
		return out
	}
	tests := []struct {
		name string
		q    store.MessageQuery
		want []int64
	}{
		{"newest first", store.MessageQuery{}, rev(all)},
		{"newest, limit", store.MessageQuery{Limit: 3}, rev(all[7:])},
		{"before", store.MessageQuery{Before: all[5], Limit: 3}, rev(all[2:5])},
		{"before, short page", store.MessageQuery{Before: all[2], Limit: 5}, rev(all[:2])},
		{"before the first", store.MessageQuery{Before: all[0]}, nil},
		{"after", store.MessageQuery{After: all[5], Limit: 3}, all[6:9]},
		{"after, short page", store.MessageQuery{After: all[7], Limit: 5}, all[8:]},
		{"after the last", store.MessageQuery{After: all[9]}, nil},
		{"zero After is no cursor: newest first", store.MessageQuery{After: 0, Limit: 2}, rev(all[8:])},
		{"between", store.MessageQuery{After: all[1], Before: all[6], Limit: 3}, all[2:5]},
		{"viewer sees everything delivered", store.MessageQuery{Viewer: a.ID + 1, Limit: 2}, rev(all[8:])},
		{"sender", store.MessageQuery{Sender: a.ID, After: all[6]}, all[7:]},
		{"another sender", store.MessageQuery{Sender: a.ID + 1}, nil},
		{"oldest first", store.MessageQuery{Oldest: true, Limit: 3}, all[:3]},
		{"oldest first after", store.MessageQuery{Oldest: true, After: all[3], Limit: 2}, all[4:6]},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			tt.q.ConversationID = conv.ID
			got, err := tx.Messages(ctx, tt.q)
			if err != nil {
				return fmt.Errorf("%s: %w", tt.name, err)
			}
			if d := diff(tt.want, ids(got)); d != "" {
				t.Errorf("%s: Messages(%+v) (-want +got):\n%s", tt.name, tt.q, d)
			}
		}
		got, err := tx.Messages(ctx, store.MessageQuery{ConversationID: other.ID + 100})
		if err != nil || len(got) != 0 {
			t.Errorf("Messages(missing conversation) = %d messages, %v; want none, nil", len(got), err)
		}
		return nil
	})
	// Walking the pages back from the newest visits every message once.
	var walked []int64
	view(t, s, func(tx store.Tx) error {
		q := store.MessageQuery{ConversationID: conv.ID, Limit: 4}
		for {
			page, err := tx.Messages(ctx, q)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				return nil
			}
			walked = append(walked, ids(page)...)
			q.Before = page[len(page)-1].ID
		}
	})
	if d := diff(rev(all), walked); d != "" {
		t.Errorf("walking back by pages of 4 (-want +got):\n%s", d)
	}
}

func testHeldMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	conv := group(t, s, false, a.ID, b.ID)
	var ms []*safeguard.Message
	update(t, s, func(tx store.Tx) error {
		for i, sender := range []int64{a.ID, b.ID, a.ID, b.ID} {
			m := message(conv.ID, sender, fmt.Sprint(i))
			if i >= 2 {
				m.Status = safeguard.Held
			}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			ms = append(ms, m)
		}
		return nil
	})
	tests := []struct {
		name   string
		viewer int64
		after  int64
		want   []int64
	}{
		{"no viewer sees all", 0, 0, []int64{ms[3].ID, ms[2].ID, ms[1].ID, ms[0].ID}},
		{"sender a sees its own held message", a.ID, 0, []int64{ms[2].ID, ms[1].ID, ms[0].ID}},
		{"sender b sees its own held message", b.ID, 0, []int64{ms[3].ID, ms[1].ID, ms[0].ID}},
		{"a third account sees none held", b.ID + 1, 0, []int64{ms[1].ID, ms[0].ID}},
		{"after, for a", a.ID, ms[0].ID, []int64{ms[1].ID, ms[2].ID}},
	}
	view(t, s, func(tx store.Tx) error {
		for _, tt := range tests {
			got, err := tx.Messages(ctx, store.MessageQuery{ConversationID: conv.ID, Viewer: tt.viewer, After: tt.after})
			if err != nil {
				return err
			}
			if d := diff(tt.want, ids(got)); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, d)
			}
		}
		return nil
	})
}

func testSetMessageStatus(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	conv := group(t, s, false, a.ID, b.ID)
	m := message(conv.ID, a.ID, "x")
	update(t, s, func(tx store.Tx) error { return tx.CreateMessage(ctx, m) })
	count := func() int {
		var n int
		view(t, s, func(tx store.Tx) error {
			got, err := tx.Messages(ctx, store.MessageQuery{ConversationID: conv.ID, Viewer: b.ID})
			n = len(got)
			return err
		})
		return n
	}
	for _, st := range []safeguard.MessageStatus{safeguard.Held, safeguard.Delivered} {
		update(t, s, func(tx store.Tx) error { return tx.SetMessageStatus(ctx, m.ID, st) })
		view(t, s, func(tx store.Tx) error {
			got, err := tx.Message(ctx, m.ID)
			if err == nil && got.Status != st {
				t.Errorf("status after SetMessageStatus(%s) = %s", st, got.Status)
			}
			return err
		})
		if want := map[safeguard.MessageStatus]int{safeguard.Held: 0, safeguard.Delivered: 1}[st]; count() != want {
			t.Errorf("%s: b sees %d messages, want %d", st, count(), want)
		}
	}
	err := s.Update(ctx, func(tx store.Tx) error { return tx.SetMessageStatus(ctx, m.ID+100, safeguard.Held) })
	wantKind(t, "SetMessageStatus(missing)", err, safeguard.ErrNotFound, "")
}

func testMedia(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	conv := group(t, s, false, a.ID)
	tests := []safeguard.Media{
		{OwnerID: a.ID, ContentType: "image/png", Size: 123456, SHA256: []byte("0123456789abcdef0123456789abcdef"),
			Width: 640, Height: 480, StorageKey: "media/ab/cdef", CreatedAt: t0.In(local),
			Origin: safeguard.Origin{Addr: netip.MustParseAddrPort("203.0.113.200:65535"), At: t0}},
		{OwnerID: a.ID},
	}
	var stored []safeguard.Media
	for _, m := range tests {
		in := m
		update(t, s, func(tx store.Tx) error { return tx.CreateMedia(ctx, &in) })
		if in.ID <= 0 {
			t.Fatalf("CreateMedia set ID %d", in.ID)
		}
		stored = append(stored, in)
		want := m
		want.ID = in.ID
		view(t, s, func(tx store.Tx) error {
			got, err := tx.Media(ctx, in.ID)
			if err != nil {
				return err
			}
			if d := diff(&want, got); d != "" {
				t.Errorf("Media (-want +got):\n%s", d)
			}
			return nil
		})
	}
	var carrying []int64
	update(t, s, func(tx store.Tx) error {
		for i := range 3 {
			m := message(conv.ID, a.ID, "")
			m.Kind = safeguard.ImageMessage
			m.MediaID = stored[0].ID
			if i == 1 {
				m.MediaID = stored[1].ID
			}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			if i != 1 {
				carrying = append(carrying, m.ID)
			}
		}
		return tx.CreateMessage(ctx, message(conv.ID, a.ID, "no media"))
	})
	view(t, s, func(tx store.Tx) error {
		got, err := tx.MediaMessages(ctx, stored[0].ID)
		if err != nil {
			return err
		}
		if d := diff(carrying, got); d != "" {
			t.Errorf("MediaMessages (-want +got):\n%s", d)
		}
		_, err = tx.Media(ctx, stored[1].ID+100)
		wantKind(t, "Media(missing)", err, safeguard.ErrNotFound, "")
		return nil
	})
}

func testReadMarkers(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account(t, s, "a", adultBirth)
	b := account(t, s, "b", adultBirth)
	conv := group(t, s, false, a.ID, b.ID)
	other := group(t, s, false, a.ID, b.ID)
	steps := []struct {
		acct, msg int64
		at        int
	}{
		{a.ID, 5, 1},
		{a.ID, 3, 2}, // back: ignored
		{a.ID, 5, 3}, // same: ignored
		{b.ID, 2, 4},
		{a.ID, 9, 5}, // forward
		{a.ID, 8, 6}, // back: ignored
	}
	for _, st := range steps {
		update(t, s, func(tx store.Tx) error {
			return tx.SetReadMarker(ctx, safeguard.ReadMarker{ConversationID: conv.ID, AccountID: st.acct, MessageID: st.msg, At: at(st.at).In(local)})
		})
	}
	update(t, s, func(tx store.Tx) error {
		return tx.SetReadMarker(ctx, safeguard.ReadMarker{ConversationID: other.ID, AccountID: a.ID, MessageID: 1, At: at(9)})
	})
	want := []safeguard.ReadMarker{
		{ConversationID: conv.ID, AccountID: a.ID, MessageID: 9, At: at(5)},
		{ConversationID: conv.ID, AccountID: b.ID, MessageID: 2, At: at(4)},
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.ReadMarkers(ctx, conv.ID)
		if err != nil {
			return err
		}
		if d := diff(want, got); d != "" {
			t.Errorf("ReadMarkers (-want +got):\n%s", d)
		}
		return nil
	})
}

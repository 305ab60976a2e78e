package messaging_test

import (
	"slices"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

func TestLogoutEndsThatSessionsStreams(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	a := w.account("leaver", adultBorn)
	token, sess, _, err := w.svc.Login(ctx, a.Handle, "correct horse battery", safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	other, _, _, err := w.svc.Login(ctx, a.Handle, "correct horse battery", safeguard.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.svc.Session(ctx, token); err != nil || got.ID != sess.ID || !got.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Fatalf("Session = %+v, %v; want session %d", got, err, sess.ID)
	}
	w.rec.take()
	if err := w.svc.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	notes := w.rec.take()
	if len(notes) != 1 || notes[0].End != messaging.EndSession || notes[0].Session != sess.ID || !slices.Equal(notes[0].To, []int64{a.ID}) {
		t.Errorf("logout sent %+v, want the end of session %d's streams", notes, sess.ID)
	}
	if _, err := w.svc.Session(ctx, token); err == nil {
		t.Error("the session outlived its logout")
	}
	if _, err := w.svc.Session(ctx, other); err != nil {
		t.Errorf("logout ended another session: %v", err)
	}
	// Logging out twice ends nothing more.
	if err := w.svc.Logout(ctx, token); err != nil || len(w.rec.take()) != 0 {
		t.Errorf("a second logout: %v", err)
	}
	if err := w.svc.LogoutEverywhere(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	notes = w.rec.take()
	if len(notes) != 1 || notes[0].End != messaging.EndSession || notes[0].Session != 0 {
		t.Errorf("logging out everywhere sent %+v, want the end of every stream", notes)
	}
	if _, err := w.svc.Session(ctx, other); err == nil {
		t.Error("a session outlived logging out everywhere")
	}
}

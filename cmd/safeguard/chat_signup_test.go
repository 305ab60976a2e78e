package main

import (
	"testing"
	"time"
)

// TestChatSignUp: chat --signup makes the account from a nickname, says the
// handle the server gave it, and logs in with that handle.
func TestChatSignUp(t *testing.T) {
	url, _ := startTestServer(t)
	term := startChat(t, "newbie", map[string]string{"SAFEGUARD_PASSWORD": "a long enough password"},
		"--server", url, "--signup", "--birth-date", "1990-04-01", "--state-dir", t.TempDir())
	term.expect(`Nickname: `)
	term.typeLine("newbie")
	h := term.expect(`Account (newbie\.\d\d) created \(adult\)\. Log in with the handle newbie\.\d\d from now on\.`)[1]
	term.expect(`Logged in as ` + h + ` at `)
	term.typeLine("/quit")
	term.expect(`Bye\.`)
	if code := term.wait(); code != 0 {
		t.Errorf("chat exit %d", code)
	}
}

// TestChatSignUpTeen: a teen's chat --signup shows her recovery codes once.
func TestChatSignUpTeen(t *testing.T) {
	url, _ := startTestServer(t)
	born := time.Now().AddDate(-15, 0, -1).Format(time.DateOnly)
	term := startChat(t, "tess", map[string]string{"SAFEGUARD_PASSWORD": "a long enough password"},
		"--server", url, "--signup", "--birth-date", born, "--state-dir", t.TempDir())
	term.expect(`Nickname: `)
	term.typeLine("tess")
	h := term.expect(`Account (tess\.\d\d) created \(teen\)\.`)[1]
	term.expect(`Write these recovery codes down now`)
	term.expect(`  [a-z2-9]{5}-[a-z2-9]{5}(  [a-z2-9]{5}-[a-z2-9]{5}){7}`)
	term.expect(`Logged in as ` + h + ` at `)
	term.typeLine("/quit")
	term.expect(`Bye\.`)
	if code := term.wait(); code != 0 {
		t.Errorf("chat exit %d", code)
	}
}

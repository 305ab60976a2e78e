package main

import (
	"testing"
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

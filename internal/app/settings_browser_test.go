package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/browsertest"
)

// call sends a JSON request to the API with token and decodes the answer
// into out (when not nil); it returns the status.
func (s *stack) call(method, path, token string, body, out any) int {
	s.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			s.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return res.StatusCode
}

// logInFails checks that handle can no longer log in with password.
func (s *stack) logInFails(handle, password string) {
	s.t.Helper()
	if _, err := client.New(s.url).Login(context.Background(), handle, password); err == nil {
		s.t.Errorf("%s still logs in with %q", handle, password)
	}
}

// openSettings goes to the settings page through the navigation.
func (p *tab) openSettings() {
	p.t.Helper()
	p.click("nav", "Settings")
	p.waitText("main h1", "Settings")
}

// TestChangePasswordInChromium: the password changes from the settings
// page, the account's other sessions end, and the new password logs in
// where the old one no longer does.
func TestChangePasswordInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		other, acct := s.loggedIn("cara", 16)
		const fresh = "a new kite on a windy hill"

		p := b.person(t, "cara", 375, 812)
		p.open(s.url + "/#/login")
		p.check("log in")
		p.logIn(s.url, acct.Handle)
		p.check("chats")
		p.openSettings()
		p.check("settings")
		p.fill("main", "Current password", pw)
		p.fill("main", "New password", fresh)
		p.click("main", "Change password")
		p.waitText("main [role=status]", "Your password has been changed")
		if _, err := other.Me(ctx); err == nil {
			t.Error("the account's other session still works after the password changed")
		}
		p.check("settings, password changed")

		p.click("nav", "Log out")
		p.waitText("main h1", "Log in")
		p.fill("main", "Username", acct.Handle)
		p.fill("main", "Password", fresh)
		p.click("main", "Log in")
		p.waitText("main h1", "Chats")
		s.logInFails(acct.Handle, pw)
	})
}

// TestLogOutEverywhereInChromium: two browsers are logged in to one
// account; the settings page lists both sessions, and "Log out everywhere"
// in one ends the other's session too.
func TestLogOutEverywhereInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		handle := s.account("dev", 30)
		laptop := b.person(t, "laptop", 1280, 800)
		phone := b.person(t, "phone", 375, 812)
		phone.logIn(s.url, handle)
		laptop.logIn(s.url, handle)

		laptop.openSettings()
		laptop.waitFor("both sessions listed", `document.querySelectorAll('main li[data-session]').length === 2`)
		if got := laptop.text("main"); !contains(got, "This device") {
			t.Errorf("the sessions list reads %q", got)
		}
		laptop.check("settings, two sessions")
		laptop.click("main", "Log out everywhere")
		laptop.waitText("main h1", "Log in")
		laptop.waitText("main", "logged out everywhere")
		laptop.check("log in, after logging out everywhere")

		// The phone's session has ended: its app goes back to logging in.
		phone.waitText("main h1", "Log in")
		phone.check("log in, after the session ended")
		s.logInFails(handle, "not the password") // sanity: the account itself is untouched
		if _, err := client.New(s.url).Login(context.Background(), handle, pw); err != nil {
			t.Errorf("the account cannot log in again after logging out everywhere: %v", err)
		}
	})
}

// TestDownloadAndDeleteInChromium: "Download my data" saves a JSON file
// holding the user's own message; the deletion page shows what is deleted
// and what is kept and why before anything happens, deletion asks for the
// password, and afterwards the account cannot log in.
func TestDownloadAndDeleteInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		ana, acct := s.loggedIn("ana", 34)
		ben, benAcct := s.loggedIn("ben", 36)
		req, err := ana.RequestContact(ctx, benAcct.Handle)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ben.AcceptContact(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
		const said = "Lunch on Thursday at the usual place?"
		if _, err := ana.SendDirect(ctx, benAcct.Handle, said); err != nil {
			t.Fatal(err)
		}

		p := b.person(t, "ana", 1280, 800)
		dir := browsertest.Downloads(t, p.ctx)
		p.logIn(s.url, acct.Handle)
		p.openSettings()
		p.check("settings")
		p.click("main", "Download my data")
		p.waitText("main [role=status]", "Your data has been saved as")
		path := browsertest.Downloaded(t, dir, ".json")
		raw, err := os.ReadFile(path)
		browsertest.Must(t, "read the download", err)
		var export map[string]any
		if err := json.Unmarshal(raw, &export); err != nil {
			t.Fatalf("the download %s is not JSON: %v", path, err)
		}
		if !strings.Contains(string(raw), said) || !strings.Contains(string(raw), acct.Handle) {
			t.Errorf("the download lacks the account or its message: %.400s", raw)
		}

		// What deletion keeps, shown before confirming, as the server says.
		var plan struct {
			Kept    []map[string]any `json:"kept"`
			Deleted []map[string]any `json:"deleted"`
		}
		if st := s.call("GET", "/api/v1/me/deletion", ana.Token, nil, &plan); st != http.StatusOK {
			t.Fatalf("GET /api/v1/me/deletion: %d", st)
		}
		p.click("main", "Delete my account")
		p.waitText("main h1", "Delete your account")
		p.waitText("main", "What we keep, and why")
		page := p.text("main")
		for _, k := range plan.Kept {
			for _, f := range []string{"what", "why"} {
				if v, _ := k[f].(string); v != "" && !strings.Contains(page, v) {
					t.Errorf("the deletion page does not say %s is kept (%s %q): %s", k["what"], f, v, page)
				}
			}
		}
		if len(plan.Kept) == 0 && !strings.Contains(page, "Nothing is kept") {
			t.Errorf("the deletion page with nothing kept reads %q", page)
		}
		p.check("delete account")
		if _, err := ana.Me(ctx); err != nil {
			t.Fatalf("the account is gone before it was confirmed: %v", err)
		}

		// Without the box ticked nothing happens; then with it, the
		// account goes.
		p.fill("#delete-account", "Password", pw)
		p.click("#delete-account", "Delete my account")
		p.waitText("#delete-account [role=alert]", "Please tick the box")
		if _, err := ana.Me(ctx); err != nil {
			t.Fatalf("deleted without the box ticked: %v", err)
		}
		p.do("tick the box", chromedp.Click(chromedp.CSS(`#delete-account input[type=checkbox]`), chromedp.NodeVisible))
		p.click("#delete-account", "Delete my account")
		p.waitText("main h1", "Log in")
		p.waitText("main", "Your account has been deleted")
		p.check("log in, after deleting the account")
		s.logInFails(acct.Handle, pw)
		p.fill("main", "Username", acct.Handle)
		p.fill("main", "Password", pw)
		p.click("main", "Log in")
		p.waitFor("the log-in error", `!!document.querySelector('main .error:not([hidden])')`)
	})
}

// TestResetPasswordInChromium: an operator gives a reset code; from the
// log-in page, "I have a reset code" leads to the page that redeems it,
// and the new password logs in.
func TestResetPasswordInChromium(t *testing.T) {
	b := newBrowser(t)
	eachStore(t, func(t *testing.T, s *stack) {
		handle := s.account("eli", 14)
		var reset struct {
			Code string `json:"code"`
		}
		if st := s.call("POST", "/api/v1/admin/accounts/"+handle+"/reset-password", adminToken,
			map[string]string{"by": "test-operator"}, &reset); st != http.StatusOK || reset.Code == "" {
			t.Fatalf("reset-password: %d %+v", st, reset)
		}
		const fresh = "seven purple otters swimming"

		p := b.person(t, "eli", 375, 812)
		p.open(s.url + "/#/login")
		p.click("main", "I have a reset code")
		p.waitText("main h1", "Reset your password")
		p.waitText("main", "Contact the Safeguard team: "+supportContact)
		p.check("reset password")
		p.fill("main", "Username", handle)
		p.fill("main", "Reset code", "WRONG-CODE-1")
		p.fill("main", "New password", fresh)
		p.click("main", "Set new password")
		p.waitFor("the error", `!!document.querySelector('main .error:not([hidden])')`)
		if msg := p.text("main .error"); msg == "" || strings.Contains(msg, "_") {
			t.Errorf("a wrong code reads %q", msg)
		}
		p.fill("main", "Reset code", reset.Code)
		p.click("main", "Set new password")
		p.waitText("main h1", "Your password has been changed")
		p.check("reset password, done")
		p.click("main", "Log in")
		p.waitText("main h1", "Log in")
		p.fill("main", "Password", fresh)
		p.click("main", "Log in")
		p.waitText("main h1", "Chats")
		s.logInFails(handle, pw)
	})
}

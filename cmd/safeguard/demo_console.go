package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// demoModerator is the moderator the demo makes, with a generated password
// it prints.
const demoModerator = "demo-moderator"

// consoleStory is the demo's last step: a member's report becomes a case,
// and a moderator logs in to the console, through its login form, and finds
// the case in the queue.
func (d *demo) consoleStory(ctx context.Context) error {
	d.heading("A report reaches the moderators' console")
	rec, err := d.users["joanne"].Report(ctx, client.ReportRequest{Account: d.h("stranger"), Reason: "mean_or_threatening",
		Note: "Kept writing after I said no. (synthetic)"})
	if err != nil {
		return err
	}
	d.say("   joanne reports stranger (\"They are being mean or threatening\"): receipt %d.", rec.ID)
	for _, n := range rec.Notices {
		d.quote("Joanne", n.Text)
	}
	if _, err := d.srv.cases.Process(ctx); err != nil {
		return err
	}
	added, err := d.srv.mods.Add(ctx, moderators.Operator, demoModerator, safeguard.RoleAdmin, "")
	if err != nil {
		return err
	}
	d.moderatorPassword = added.Generated
	rows, err := d.consoleQueue(ctx, demoModerator, added.Generated)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	d.say("   The operator adds a console account, as `safeguard moderator add %s --role admin` does:", demoModerator)
	d.say("   %s, password %s (generated, shown once).", demoModerator, added.Generated)
	plural := "s"
	if rows == 1 {
		plural = ""
	}
	d.say("   %s logs in at %s/console/ and sees %d case%s in the review queue:", demoModerator, d.url, rows, plural)
	queue, err := d.admin.AdminCases(ctx)
	if err != nil {
		return err
	}
	for _, c := range queue {
		d.say("     case %d: priority %d, %s, %s, %s", c.ID, c.Priority, strings.ReplaceAll(c.Source, "_", " "), c.Category, c.Status)
	}
	d.say("   Images there show blurred and greyscale until a moderator reveals one, giving a reason that is recorded.")
	return nil
}

var demoCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleQueue logs in to the console as a browser would and counts the
// cases in the queue.
func (d *demo) consoleQueue(ctx context.Context, name, password string) (int, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	get := func(path string) (string, string, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", d.url+path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			return "", "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), resp.Request.URL.Path, err
	}
	page, _, err := get("/console/login")
	if err != nil {
		return 0, err
	}
	m := demoCSRF.FindStringSubmatch(page)
	if m == nil {
		return 0, errors.New("the login page has no form token")
	}
	form := url.Values{"csrf": {m[1]}, "name": {name}, "password": {password}}
	req, _ := http.NewRequestWithContext(ctx, "POST", d.url+"/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/console/" || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("login answered %d at %s", resp.StatusCode, resp.Request.URL.Path)
	}
	return strings.Count(string(body), `data-case="`), nil
}

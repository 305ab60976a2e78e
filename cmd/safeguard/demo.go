package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/police"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// demoFiles are what a demo writes into its directory: a data directory's
// layout.
var demoFiles = layoutNames

// demoDir returns the demo's directory: a new temporary one when dir is
// empty, otherwise dir, made (0700) if it is missing. A directory that holds
// an earlier demo's data is refused, so that a second run never deletes a
// database unasked; with reset, that data is deleted first.
func demoDir(dir string, reset bool) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "safeguard-demo-")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("demo directory: %w", err)
	}
	var found []string
	for _, name := range demoFiles {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			found = append(found, name)
		}
	}
	if len(found) > 0 && !reset {
		return "", fmt.Errorf("%s already holds an earlier demo's data (%s): add --reset to delete it and start afresh, or give another --dir",
			dir, strings.Join(found, ", "))
	}
	for _, name := range found {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("reset the demo directory: %w", err)
		}
	}
	return dir, nil
}

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "demo", "demo [--exit] [--dir DIR] [--reset] [flags of serve]")
	var c serveConfig
	bindServeFlags(fs, &c, false)
	// Everyone in the story signs up from this machine's one address.
	c.limits.SignUpPerAddress = ratelimit.Limit{}
	exit := fs.Bool("exit", false, "stop after the story instead of leaving the server running")
	dir := fs.String("dir", "", "the demo's data directory (database, media, evidence, reports and keys, laid out as --data's), made if missing (default: a new temporary directory)")
	reset := fs.Bool("reset", false, "start afresh in a --dir that holds an earlier demo's data, deleting that data")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if err := c.nudity.checkThresholds(); err != nil {
		return err
	}
	c.readSecrets(e)
	c.nudity.classifier = e.classifier
	// An address asked for that is taken stops the demo before it makes
	// any of its data.
	for _, a := range []struct{ flag, addr string }{{"addr", c.addr}, {"metrics-addr", c.metricsAddr}} {
		if a.addr == "" || (!flagGiven(fs, a.flag) && e.getenv(envName(a.flag)) == "") {
			continue
		}
		ln, err := net.Listen("tcp", a.addr)
		if err != nil {
			return fmt.Errorf("--%s %s: %w", a.flag, a.addr, err)
		}
		ln.Close()
	}
	var err error
	if *dir, err = demoDir(*dir, *reset); err != nil {
		return err
	}
	// The demo's data directory is --dir (the environment never points a
	// part of it elsewhere), its own operator token, and any free port
	// unless one is asked for.
	c.where.data = *dir
	c.resolve()
	// The demo's data is test data for good: every command that makes a
	// report from it (case decide, report export, serve) marks it TEST.
	if err := markTestData(*dir); err != nil {
		return err
	}
	c.cases.testReports = true
	if !flagGiven(fs, "metrics-addr") && e.getenv("SAFEGUARD_METRICS_ADDR") == "" {
		c.metricsAddr = "" // several demos may run at once
	}
	if !flagGiven(fs, "report-email") && e.getenv("SAFEGUARD_REPORT_EMAIL") == "" {
		c.cases.reportEmail = "reports@safeguard-demo.invalid"
		if c.cases.reportOrg == "" {
			c.cases.reportOrg = "Safeguard demo"
		}
	}
	if !flagGiven(fs, "addr") && e.getenv("SAFEGUARD_ADDR") == "" {
		c.addr = "127.0.0.1:0"
	}
	if c.adminToken == "" {
		c.adminToken = randomToken()
	}
	if !flagGiven(fs, "log-level") && e.getenv("SAFEGUARD_LOG_LEVEL") == "" {
		c.logLevel = "warn"
	}
	log, err := newLogger(e, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}
	srv, err := start(ctx, c, log)
	if err != nil {
		return err
	}
	defer srv.close()

	d := &demo{out: e.stdout, url: srv.url, admin: &client.Client{BaseURL: srv.url, Token: c.adminToken}, users: map[string]*client.Client{},
		srv: srv, store: srv.store}
	fmt.Fprintf(e.stdout, "Safeguard demo — server at %s, data directory %s\n", srv.url, *dir)
	if err := d.story(ctx); err != nil {
		return fmt.Errorf("demo story: %w", err)
	}
	demoNext(e, *dir, c.db != filepath.Join(*dir, layoutDB), hex.EncodeToString(srv.cases.Vault.PublicKey()))
	d.appGuide(!*exit)
	if *exit {
		return nil
	}
	fmt.Fprintf(e.stdout, "The server is still running at %s (operator token: %s).\n", srv.url, c.adminToken)
	fmt.Fprintln(e.stdout, "Press Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

// demoNext prints the operator's commands on the demo's data directory,
// each as the binary was invoked (invokedAs), to run as written; pub is the
// evidence key the demo's server made at its start, the key to pin.
func demoNext(e *env, dir string, dbElsewhere bool, pub string) {
	data := shellQuote(dir)
	prog := invokedAs
	fmt.Fprintf(e.stdout, "\nThe demo's data is in %s. The operator's commands read it with --data:\n", dir)
	if dbElsewhere {
		fmt.Fprintln(e.stdout, "  (its database is elsewhere: add the same --db to each command)")
	}
	for _, cmd := range []string{"case list", "case show 1", "evidence pubkey", "moderator list", "bank list", "url list"} {
		fmt.Fprintf(e.stdout, "  %s %s --data %s\n", prog, cmd, data)
	}
	fmt.Fprintf(e.stdout, "  %s evidence verify --data %s --evidence-pubkey %s\n", prog, data, pub)
	fmt.Fprintln(e.stdout, "  (the key pinned is the one the demo's server made at its start; for a server, pin the key it logged")
	fmt.Fprintln(e.stdout, "  when it first started, kept apart from the data: one read from the data directory proves nothing)")
	fmt.Fprintf(e.stdout, "Its data is test data (%s marks it): every report made from it is marked TEST.\n", layoutTestData)
}

// demoGuide says, for each person of the story, what their web app shows.
var demoGuide = map[string]string{
	"sam":       "Maya's mum: Parents and carers shows Maya and her contact Leo",
	"maya":      "12, her account active since Sam entered her code",
	"leo":       "15: the Family group, which says why it is not end-to-end encrypted, and the warning in his chat with gamer_vic",
	"uncle_raj": "Leo's uncle: the Family group",
	"joanne":    "the chat with stranger, whom she blocked",
	"stranger":  "an adult nobody here knows: no young person can be found",
	"gamer_vic": "the adult Leo met in a game: his chat with Leo looks ordinary to him",
	"coach_dan": "his image to Leo was held; his app shows it as sent",
	"tutor_ed":  "asked Leo for a photo; Leo reported the message and the account",
}

// appGuide ends the story with what someone needs to click through it in a
// browser: the web app's address and every account's handle and password.
func (d *demo) appGuide(running bool) {
	d.say("\nClick through the story in the web app: %s/", d.url)
	if !running {
		d.say("(This run stops its server now; run the demo without --exit to keep it running.)")
	}
	d.say("Log in with a handle and its password:")
	for _, n := range d.order {
		d.say("   %-16s %-17s %s", d.h(n), demoPassword, demoGuide[n])
	}
	if d.moderatorPassword != "" {
		d.say("Moderator console: %s/console/ — log in as %s with the password %s", d.url, demoModerator, d.moderatorPassword)
	}
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

const demoPassword = "demo-password-1"

// demo plays the story through the real API, as the apps would.
type demo struct {
	out     io.Writer
	url     string
	admin   *client.Client
	users   map[string]*client.Client // by nickname
	ids     map[string]int64
	handles map[string]string
	order   []string // nicknames in the order they signed up
	step    int
	store   store.Store // for what the operator does with the CLI

	guardianCode string // Maya's, given to her guardian

	srv               *running
	moderatorPassword string // demo-moderator's, generated
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *demo) heading(title string) {
	d.step++
	fmt.Fprintf(d.out, "\n%d. %s\n", d.step, title)
}

// quote prints what a person sees, indented.
func (d *demo) quote(who, text string) {
	verb := "sees"
	if who == "Both" {
		verb = "see"
	}
	if who == "Both" {
		who = "Both of them"
	}
	fmt.Fprintf(d.out, "     %s %s: %q\n", who, verb, text)
}

// answer prints an API refusal as its code and sentence.
func (d *demo) answer(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%d %s — %q", ae.Status, ae.Code, ae.Message)
	}
	return err.Error()
}

// signUp creates and logs in an account born years ago today (less a day,
// so the age is exact). The demo knows its people by nickname; the server
// gives each a handle (d.h).
func (d *demo) signUp(ctx context.Context, nickname string, years int, la string) (*client.Account, error) {
	born := time.Now().AddDate(-years, 0, -1).Format(time.DateOnly)
	c := client.New(d.url)
	a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nickname, Password: demoPassword, BirthDate: born, LocalAuthority: la})
	if err != nil {
		return nil, fmt.Errorf("sign up %s: %w", nickname, err)
	}
	if _, err := c.Login(ctx, a.Handle, demoPassword); err != nil {
		return nil, fmt.Errorf("log in %s: %w", a.Handle, err)
	}
	d.users[nickname] = c
	if d.ids == nil {
		d.ids, d.handles = map[string]int64{}, map[string]string{}
	}
	d.ids[nickname] = a.ID
	d.handles[nickname] = a.Handle
	d.order = append(d.order, nickname)
	return a, nil
}

// h returns the handle the server gave the demo's person with nickname.
func (d *demo) h(nickname string) string { return d.handles[nickname] }

func (d *demo) verify(ctx context.Context, handle string) error {
	_, err := d.admin.SetAgeAssurance(ctx, d.ids[handle], "verified")
	return err
}

func (d *demo) story(ctx context.Context) error {
	d.heading("Accounts: a 12-year-old and her guardian, a 15-year-old, three adults")
	people := []struct {
		handle string
		age    int
		la     string
		who    string
	}{
		{"sam", 41, "Bedford", "Maya's mum"},
		{"maya", 12, "Bedford", "12"},
		{"leo", 15, "Bedford", "15, Maya's cousin"},
		{"uncle_raj", 44, "Cambridge", "Leo's uncle"},
		{"joanne", 38, "Cambridge", "Raj's friend"},
		{"stranger", 35, "Norwich", "an adult nobody here knows"},
	}
	for _, p := range people {
		a, err := d.signUp(ctx, p.handle, p.age, p.la)
		if err != nil {
			return err
		}
		extra := ""
		if a.GuardianCode != "" {
			extra = fmt.Sprintf(", waiting for a guardian (code %s)", a.GuardianCode)
			d.guardianCode = a.GuardianCode
		}
		force := a.PoliceForce
		if f, ok := police.ByCode(a.PoliceForce); ok {
			force = f.Area + " " + f.Code
		}
		d.say("   %-13s %-27s %-5s %-27s %s%s", a.Handle, "("+p.who+")", a.AgeBand, force, a.Status, extra)
	}
	for _, h := range []string{"sam", "uncle_raj", "joanne"} {
		if err := d.verify(ctx, h); err != nil {
			return err
		}
	}
	d.say("   The operator verifies the ages of sam, uncle_raj and joanne (after an age check).")

	d.heading("Maya's account waits for a guardian")
	if _, err := d.users["maya"].RequestContact(ctx, d.h("leo")); err != nil {
		d.say("   Before approval, Maya asks to add Leo: %s", d.answer(err))
	}
	child, err := d.users["sam"].LinkGuardian(ctx, d.guardianCode)
	if err != nil {
		return err
	}
	d.say("   Sam enters Maya's code: maya is now %s, with sam as guardian.", child.Status)

	d.heading("A stranger adult cannot find or reach a young person")
	st := d.users["stranger"]
	_, errLeo := st.RequestContact(ctx, d.h("leo"))
	_, errNobody := st.RequestContact(ctx, "nobody_has_this_name")
	d.say("   stranger asks to add leo:                  %s", d.answer(errLeo))
	d.say("   stranger asks to add nobody_has_this_name: %s", d.answer(errNobody))
	_, errMsg := st.SendDirect(ctx, d.h("leo"), "hi")
	d.say("   stranger messages leo:                     %s", d.answer(errMsg))
	_, errLook := st.Lookup(ctx, d.h("maya"))
	d.say("   stranger looks maya up:                    %s", d.answer(errLook))
	signUp := func(nickname string) error {
		_, err := client.New(d.url).SignUp(ctx, client.SignUpRequest{Nickname: nickname, Password: demoPassword, BirthDate: "1990-01-01"})
		return err
	}
	for _, h := range []string{d.h("leo"), "nobody.42"} {
		d.say("   %-42s %s", "stranger signs up as "+h+":", d.answer(signUp(h)))
	}
	d.say("   (Nobody chooses a whole handle: the server adds the digits, so sign-up never says who exists.)")
	lc, err := d.users["leo"].Contacts(ctx)
	if err != nil {
		return err
	}
	d.say("   On Leo's side: %d requests, %d messages — nothing reached him.", len(lc.Incoming), 0)
	audit, err := d.admin.Audit(ctx, 0)
	if err == nil {
		n := 0
		for _, a := range audit {
			if a.ActorID == d.ids["stranger"] && a.Reason == "stranger_contact_minor" {
				n++
			}
		}
		d.say("   The operator's audit log records %d refusals with the reason stranger_contact_minor —", n)
		d.say("   the signal the risk rules watch for; the stranger is never told it.")
	}

	d.heading("A teen adds an adult relative")
	req, err := d.users["leo"].RequestContact(ctx, d.h("uncle_raj"))
	if err != nil {
		return err
	}
	for _, n := range req.Notices {
		d.quote("Leo", n.Text)
	}
	if _, err := d.users["uncle_raj"].AcceptContact(ctx, req.ID); err != nil {
		return err
	}
	d.say("   uncle_raj accepts: they are contacts.")

	d.heading("A child's new contact waits for her guardian")
	mreq, err := d.users["maya"].RequestContact(ctx, d.h("leo"))
	if err != nil {
		return err
	}
	d.say("   Maya asks to add Leo: state %s.", mreq.State)
	greqs, err := d.users["sam"].GuardianRequests(ctx)
	if err != nil {
		return err
	}
	for _, g := range greqs {
		if err := d.users["sam"].GuardianDecide(ctx, g.ID, true); err != nil {
			return err
		}
		d.say("   Sam approves %s → %s.", g.Child, g.Other)
	}
	lc, err = d.users["leo"].Contacts(ctx)
	if err != nil {
		return err
	}
	for _, in := range lc.Incoming {
		if _, err := d.users["leo"].AcceptContact(ctx, in.ID); err != nil {
			return err
		}
		d.say("   Leo accepts %s's request.", in.Handle)
	}

	d.heading("A family group with a young person is never end-to-end encrypted")
	_, errE2EE := d.users["uncle_raj"].CreateConversation(ctx, client.ConversationRequest{Members: []string{d.h("leo")}, Title: "Family", E2EE: true})
	d.say("   uncle_raj asks for an E2EE group with leo: %s", d.answer(errE2EE))
	fam, err := d.users["uncle_raj"].CreateConversation(ctx, client.ConversationRequest{Members: []string{d.h("leo")}, Title: "Family"})
	if err != nil {
		return err
	}
	d.say("   uncle_raj creates the group \"Family\": e2ee=%v; leo is %s.", fam.E2EE, memberState(fam, d.h("leo")))
	if _, err := d.users["leo"].AcceptInvitation(ctx, fam.ID); err != nil {
		return err
	}
	d.quote("Everyone in \"Family\"", fam.Notice.Text)
	_, errStranger := d.users["uncle_raj"].AddMember(ctx, fam.ID, d.h("joanne"))
	d.say("   uncle_raj adds joanne, who is not Leo's contact: %s", d.answer(errStranger))
	if _, err := d.users["uncle_raj"].SendText(ctx, fam.ID, "Pizza at ours on Saturday?"); err != nil {
		return err
	}
	page, err := d.users["leo"].History(ctx, fam.ID, client.HistoryQuery{})
	if err != nil {
		return err
	}
	for _, m := range page.Messages {
		d.say("   Leo reads from %s: %q", m.Sender, m.Text)
	}

	d.heading("Two verified adults talk end to end")
	jr, err := d.users["joanne"].RequestContact(ctx, d.h("uncle_raj"))
	if err != nil {
		return err
	}
	if _, err := d.users["uncle_raj"].AcceptContact(ctx, jr.ID); err != nil {
		return err
	}
	secret, err := d.users["joanne"].CreateConversation(ctx, client.ConversationRequest{Members: []string{d.h("uncle_raj")}, E2EE: true})
	if err != nil {
		return err
	}
	d.say("   joanne and uncle_raj (both verified adults) ask for E2EE: e2ee=%v.", secret.E2EE)
	d.quote("Both", secret.Notice.Text)
	_, errPlain := d.users["joanne"].SendText(ctx, secret.ID, "plain text")
	d.say("   The server refuses plaintext there: %s", d.answer(errPlain))
	if err := d.e2eeChat(ctx, secret); err != nil {
		return err
	}

	d.heading("An adult whose age is not verified gets no E2EE, and is told why")
	sr, err := d.users["stranger"].RequestContact(ctx, d.h("joanne"))
	if err != nil {
		return err
	}
	if _, err := d.users["joanne"].AcceptContact(ctx, sr.ID); err != nil {
		return err
	}
	_, errUnverified := d.users["joanne"].CreateConversation(ctx, client.ConversationRequest{Members: []string{d.h("stranger")}, E2EE: true})
	d.say("   joanne asks for E2EE with stranger: %s", d.answer(errUnverified))
	plain, err := d.users["joanne"].CreateConversation(ctx, client.ConversationRequest{Members: []string{d.h("stranger")}})
	if err != nil {
		return err
	}
	d.quote("Both", plain.Notice.Text)

	d.heading("A blocked account cannot reach the blocker")
	if _, err := d.users["joanne"].Block(ctx, d.h("stranger")); err != nil {
		return err
	}
	_, errBlocked := d.users["stranger"].SendText(ctx, plain.ID, "hello?")
	d.say("   joanne blocks stranger; stranger writes in their chat: %s", d.answer(errBlocked))
	_, errReq := d.users["stranger"].RequestContact(ctx, d.h("joanne"))
	d.say("   stranger asks to add joanne again: %s", d.answer(errReq))

	if err := d.riskStory(ctx); err != nil {
		return err
	}
	if err := d.knownImage(ctx); err != nil {
		return err
	}
	if err := d.consoleStory(ctx); err != nil {
		return err
	}
	return d.statsStory(ctx)
}

func memberState(c *client.Conversation, handle string) string {
	for _, m := range c.Members {
		if m.Handle == handle {
			return m.State
		}
	}
	return "absent"
}

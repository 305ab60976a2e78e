package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/client/secure"
)

// Defaults of chat's flags.
const (
	defaultChatServer = "http://127.0.0.1:8080"
	defaultKDFMemory  = 64 << 10 // KiB: RFC 9106's second recommendation
	defaultKDFTime    = 3
)

func cmdChat(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "chat", "chat [--server URL] [--handle HANDLE] [--signup --handle NICKNAME --birth-date YYYY-MM-DD] [flags]")
	server := fs.String("server", defaultChatServer, "the Safeguard server")
	handle := fs.String("handle", "", "the handle to log in as, like leo.37 (asked for if empty); with --signup, the nickname to make one from")
	signup := fs.Bool("signup", false, "create the account first (with --birth-date)")
	birth := fs.String("birth-date", "", "date of birth for --signup, YYYY-MM-DD")
	la := fs.String("local-authority", "", "local authority for --signup (a name or ONS code)")
	stateDir := fs.String("state-dir", "", "where this device keeps its keys and history, sealed under your passphrase (default ~/.safeguard/chat/HOST/HANDLE)")
	device := fs.String("device", "", "a name for this device when it is new (random if empty)")
	kdfMemory := fs.Uint("kdf-memory", defaultKDFMemory, "argon2id memory in KiB that protects the sealed state")
	kdfTime := fs.Uint("kdf-time", defaultKDFTime, "argon2id passes that protect the sealed state")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	in := newLineReader(e.stdin)
	c := &chat{out: e.stdout, in: in, api: client.New(*server), images: ""}

	if *handle == "" {
		ask := "Handle: "
		if *signup {
			ask = "Nickname: "
		}
		h, err := in.prompt(c.out, ask)
		if err != nil {
			return err
		}
		*handle = strings.TrimSpace(h)
	}
	password := e.getenv("SAFEGUARD_PASSWORD")
	if password == "" {
		p, err := in.secret(c.out, "Password: ")
		if err != nil {
			return err
		}
		password = p
	}
	if *signup {
		a, err := c.api.SignUp(ctx, client.SignUpRequest{Nickname: *handle, Password: password, BirthDate: *birth, LocalAuthority: *la})
		if err != nil {
			return fmt.Errorf("sign up: %s", explain(err))
		}
		c.say("Account %s created (%s). Log in with the handle %s from now on.", a.Handle, a.AgeBand, a.Handle)
		*handle = a.Handle
		if a.GuardianCode != "" {
			c.say("A parent or carer must approve it first: give them the code %s.", a.GuardianCode)
		}
		if len(a.RecoveryCodes) > 0 {
			c.say("Write these recovery codes down now: each one lets you choose a new password once if you forget yours. They are not shown again.")
			c.say("  %s", strings.Join(a.RecoveryCodes, "  "))
		}
	}
	sess, err := c.api.Login(ctx, *handle, password)
	if err != nil {
		return fmt.Errorf("log in: %s", explain(err))
	}
	c.me = sess.Account
	c.say("Logged in as %s at %s.", c.me.Handle, *server)

	if c.me.AgeBand == "adult" && c.me.AgeAssurance == "verified" {
		dir := *stateDir
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return fmt.Errorf("--state-dir: %w", err)
			}
			u, _ := url.Parse(*server)
			dir = filepath.Join(home, ".safeguard", "chat", u.Host, c.me.Handle)
		}
		pass, err := c.passphrase(e, dir)
		if err != nil {
			return err
		}
		c.e2ee, err = secure.Open(ctx, c.api, secure.Options{Dir: dir, Passphrase: pass, DeviceName: *device,
			KDF: e2ee.KDFParams{Time: uint32(*kdfTime), MemoryKiB: uint32(*kdfMemory), Threads: 4}})
		if err != nil {
			return fmt.Errorf("end-to-end encryption: %s", explain(err))
		}
		defer c.e2ee.Close()
		c.images = filepath.Join(dir, "images")
		c.say("This device is %s. End-to-end encrypted chats are available.", c.e2ee.Device().Device)
	} else {
		c.say("End-to-end encrypted chats are only for adults whose age is verified; your chats here are not end-to-end encrypted.")
		c.images = filepath.Join(os.TempDir(), "safeguard-chat-"+c.me.Handle)
	}
	return c.run(ctx)
}

// passphrase asks for the passphrase of the sealed state: twice for a new
// device. SAFEGUARD_PASSPHRASE gives it without asking.
func (c *chat) passphrase(e *env, dir string) ([]byte, error) {
	if p := e.getenv("SAFEGUARD_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	if _, err := os.Stat(filepath.Join(dir, secure.StateFile)); err == nil {
		p, err := c.in.secret(c.out, "Passphrase for this device's keys: ")
		return []byte(p), err
	}
	c.say("This device needs a passphrase: it protects your keys and messages on this computer.")
	for {
		p1, err := c.in.secret(c.out, "Choose a passphrase: ")
		if err != nil {
			return nil, err
		}
		p2, err := c.in.secret(c.out, "Repeat it: ")
		if err != nil {
			return nil, err
		}
		if p1 == p2 && len(p1) >= 8 {
			return []byte(p1), nil
		}
		c.say("The two differ, or it is shorter than 8 characters. Try again.")
	}
}

// explain turns an error into the sentence to show.
func explain(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// lineReader reads lines from stdin, hiding what is typed for secrets when
// stdin is a terminal.
type lineReader struct {
	mu   sync.Mutex
	r    *bufio.Reader
	file *os.File
}

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{r: bufio.NewReader(r)}
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		lr.file = f
	}
	return lr
}

// line returns the next line without its end, or io.EOF.
func (l *lineReader) line() (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.r.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (l *lineReader) prompt(w io.Writer, label string) (string, error) {
	fmt.Fprint(w, label)
	s, err := l.line()
	if errors.Is(err, io.EOF) {
		return "", errors.New("no input")
	}
	return s, err
}

func (l *lineReader) secret(w io.Writer, label string) (string, error) {
	if l.file == nil {
		return l.prompt(w, label)
	}
	fmt.Fprint(w, label)
	b, err := term.ReadPassword(int(l.file.Fd()))
	fmt.Fprintln(w)
	return string(b), err
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/secure"
)

// chat is one interactive session of `safeguard chat`: commands from stdin,
// messages and events printed as they come.
type chat struct {
	out    io.Writer
	in     *lineReader
	api    *client.Client
	me     client.Account
	e2ee   *secure.Session // nil when the account cannot use end-to-end encryption
	images string          // where received images are saved

	mu    sync.Mutex // guards out and the fields below
	open  *client.Conversation
	convs map[int64]*client.Conversation
	// blurred holds the media of the blurred images shown, by message
	// ID, for /show.
	blurred map[int64]int64
}

const chatHelp = `Commands:
  /list                         your conversations (🔒 = end-to-end encrypted)
  /open ID                      open a conversation and show its recent messages
  /new [e2ee] HANDLE[,HANDLE…] [TITLE]   start a chat (a group if you give a title)
  /add HANDLE                   add someone to the open group
  /contacts                     contacts and requests;  /contact HANDLE asks someone;  /accept ID
  /image PATH [CAPTION]         send an image
  /show MESSAGE                 see a blurred image, after a warning
  /safety                       safety numbers of the open end-to-end encrypted chat
  /verify HANDLE DEVICE         mark a device verified after comparing its safety number
  /report MESSAGE [REASON]      report a message; REASON is one of asked_for_photos, mean_or_threatening,
                                want_to_meet, photo_shared, something_else (the default)
  /sync                         fetch what is waiting
  /help, /quit
Anything else is sent to the open conversation.`

// say prints a line, whatever else is printing.
func (c *chat) say(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format+"\n", args...)
}

// run reads commands until /quit or the end of the input, printing live
// events meanwhile.
func (c *chat) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.convs = map[int64]*client.Conversation{}
	live := make(chan struct{})
	go func() {
		defer close(live)
		c.listen(ctx)
	}()
	if err := c.refresh(ctx); err != nil {
		return err
	}
	if c.e2ee != nil {
		c.syncE2EE(ctx)
	}
	c.say("Type /help for commands.")
	for {
		line, err := c.in.line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if line == "/quit" {
			break
		}
		if err := c.command(ctx, line); err != nil {
			c.say("! %s", explain(err))
		}
	}
	cancel()
	<-live
	c.say("Bye.")
	return nil
}

func (c *chat) command(ctx context.Context, line string) error {
	if !strings.HasPrefix(line, "/") {
		return c.send(ctx, line)
	}
	cmd, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch cmd {
	case "/help":
		c.say("%s", chatHelp)
	case "/list":
		if err := c.refresh(ctx); err != nil {
			return err
		}
		c.list()
	case "/open":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return errors.New("give the number of a conversation: /open 3")
		}
		return c.openConversation(ctx, id)
	case "/new":
		return c.newConversation(ctx, rest)
	case "/add":
		conv, err := c.current()
		if err != nil {
			return err
		}
		v, err := c.api.AddMember(ctx, conv.ID, rest)
		if err != nil {
			return err
		}
		c.remember(v)
		c.say("%s added to %s.", rest, title(v, c.me.Handle))
	case "/contacts":
		return c.contacts(ctx)
	case "/contact":
		ct, err := c.api.RequestContact(ctx, rest)
		if err != nil {
			return err
		}
		c.say("Asked %s to be a contact (%s).", rest, ct.State)
		c.notices(ct.Notices)
	case "/accept":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return errors.New("give the number of the request: /accept 4")
		}
		ct, err := c.api.AcceptContact(ctx, id)
		if err != nil {
			return err
		}
		c.say("%s is now a contact.", ct.Handle)
	case "/image":
		path, caption, _ := strings.Cut(rest, " ")
		return c.sendImage(ctx, path, strings.TrimSpace(caption))
	case "/show":
		return c.show(ctx, rest)
	case "/safety":
		return c.safety(ctx)
	case "/verify":
		return c.verify(ctx, rest)
	case "/report":
		return c.report(ctx, rest)
	case "/sync":
		c.syncE2EE(ctx)
	default:
		return fmt.Errorf("unknown command %s; /help lists them", cmd)
	}
	return nil
}

// refresh reloads the conversation list.
func (c *chat) refresh(ctx context.Context) error {
	cs, err := c.api.Conversations(ctx)
	if err != nil {
		return err
	}
	for i := range cs {
		c.remember(&cs[i])
	}
	return nil
}

func (c *chat) remember(v *client.Conversation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := *v
	c.convs[v.ID] = &cp
	if c.open != nil && c.open.ID == v.ID {
		c.open = &cp
	}
}

// label is how a conversation's encryption shows in the list.
func label(v *client.Conversation) string {
	switch v.Notice.Code {
	case "e2ee":
		return "🔒 end-to-end encrypted"
	case "minor_present":
		return "young person — not end-to-end encrypted"
	case "age_not_verified":
		return "not end-to-end encrypted — not everyone has verified their age"
	}
	return "not end-to-end encrypted"
}

func title(v *client.Conversation, me string) string {
	if v.Title != "" {
		return v.Title
	}
	var others []string
	for _, m := range v.Members {
		if m.Handle != me {
			others = append(others, m.Handle)
		}
	}
	return strings.Join(others, ", ")
}

func (c *chat) list() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.convs) == 0 {
		fmt.Fprintln(c.out, "No conversations yet. Start one with /new HANDLE.")
		return
	}
	fmt.Fprintln(c.out, "Conversations:")
	for _, id := range sortedIDs(c.convs) {
		v := c.convs[id]
		fmt.Fprintf(c.out, "  [%d] %-24s %s\n", v.ID, title(v, c.me.Handle), label(v))
	}
}

func sortedIDs(m map[int64]*client.Conversation) []int64 {
	var ids []int64
	for id := range m {
		ids = append(ids, id)
	}
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	return ids
}

func (c *chat) current() (*client.Conversation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		return nil, errors.New("open a conversation first: /list, then /open ID")
	}
	return c.open, nil
}

func (c *chat) openConversation(ctx context.Context, id int64) error {
	v, err := c.api.Conversation(ctx, id)
	if err != nil {
		return err
	}
	c.remember(v)
	c.mu.Lock()
	c.open = c.convs[id]
	c.mu.Unlock()
	c.say("— %s (%s)", title(v, c.me.Handle), label(v))
	c.say("  %s", v.Notice.Text)
	if v.E2EE {
		if c.e2ee == nil {
			return errors.New("this chat is end-to-end encrypted, and this account cannot use end-to-end encryption")
		}
		c.syncE2EE(ctx)
		h := c.e2ee.History(id)
		for _, m := range h[max(0, len(h)-20):] {
			c.printSecure(ctx, m)
		}
		return nil
	}
	page, err := c.api.History(ctx, id, client.HistoryQuery{Limit: 20})
	if err != nil {
		return err
	}
	for i := len(page.Messages) - 1; i >= 0; i-- {
		c.printPlain(ctx, page.Messages[i])
	}
	return nil
}

func (c *chat) newConversation(ctx context.Context, rest string) error {
	req := client.ConversationRequest{}
	if r, ok := strings.CutPrefix(rest, "e2ee "); ok {
		req.E2EE, rest = true, strings.TrimSpace(r)
	}
	handles, t, _ := strings.Cut(rest, " ")
	if handles == "" {
		return errors.New("name someone: /new HANDLE, or /new e2ee HANDLE for end-to-end encryption")
	}
	req.Members = strings.Split(handles, ",")
	req.Title = strings.TrimSpace(t)
	v, err := c.api.CreateConversation(ctx, req)
	if err != nil {
		return err
	}
	c.remember(v)
	return c.openConversation(ctx, v.ID)
}

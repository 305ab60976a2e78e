package riskscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // DefaultZone is known whatever the host's zone files

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/risk"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Defaults of Config.
const (
	// DefaultEstablishedAfter is how long two accounts must have been
	// contacts before a conversation began for either to count as
	// connected (the rules' sender.connected): the platform lets an adult
	// write to a minor only once they are contacts, so being contacts alone
	// tells nothing; a contact made on the day the chat began is new.
	DefaultEstablishedAfter = 7 * 24 * time.Hour
	// DefaultRefusalWindow is how far back the refused attempts of an adult
	// to reach minors count (the rules' refused_minor_attempts).
	DefaultRefusalWindow = 30 * 24 * time.Hour
	// DefaultNoticeInterval is how long a young person shown a risk notice
	// about a conversation is not shown another: one warning, with help, is
	// heard; a warning on every message is not.
	DefaultNoticeInterval = 24 * time.Hour
	// DefaultFactsTTL is how long facts read from the store are reused.
	DefaultFactsTTL = time.Minute
	// DefaultStateCache is how many conversations' risk states are kept in
	// memory.
	DefaultStateCache = 4096
)

// DefaultZone is the time zone in which the hour of a message is read (the
// rules' message.local_hour and the night signal): the platform's young
// people live in the United Kingdom.
const DefaultZone = "Europe/London"

// DefaultRules names the embedded rule set in Config.Rules.
const DefaultRules = "default"

// maxSaveAttempts bounds how often the state of one message is scored again
// after a concurrent message in the same conversation saved first.
const maxSaveAttempts = 8

// Config configures the risk scanner.
type Config struct {
	// Rules are rule files, read in order; DefaultRules is the embedded
	// set. Empty means the embedded set alone.
	Rules []string
	// Lexicons are lexicon files loaded after the embedded lexicon, which
	// they extend.
	Lexicons []string
	// EstablishedAfter: see DefaultEstablishedAfter.
	EstablishedAfter time.Duration
	// RefusalWindow: see DefaultRefusalWindow.
	RefusalWindow time.Duration
	// FactsTTL is how long the members' facts read from the store (contacts,
	// refused attempts) are reused for later messages; default
	// DefaultFactsTTL, negative for never.
	FactsTTL time.Duration
	// NoticeInterval is how long after a risk notice a young person is not
	// shown another about the same conversation (a sextortion warning is
	// always shown); default DefaultNoticeInterval.
	NoticeInterval time.Duration
	// StateCache is how many conversations' states are kept in memory
	// (each checked against the store's version when saved); default
	// DefaultStateCache, negative for none.
	StateCache int
	// Zone is the time zone of the young people, in which a message's
	// hour is read: talk at night between a minor and someone older raises
	// an alert's severity. Default DefaultZone.
	Zone *time.Location
}

// Deps are what the risk scanner works with. Notify, Log and ReadFile
// are optional.
type Deps struct {
	Store  store.Store
	Notify messaging.Notifier // shows minors their support notices
	Log    *slog.Logger
	// ReadFile reads rule and lexicon files (os.ReadFile if nil).
	ReadFile func(name string) ([]byte, error)
}

// Scanner scores every message the server can see in a conversation that
// includes a minor with the grooming and sextortion rules, keeps each
// conversation's state in the store, and on the first firing of an enforced
// rule in a conversation writes a detection (source risk_rule) and shows the
// minors a support notice. The sender is told nothing. It is a
// messaging.Scanner.
type Scanner struct {
	cfg    Config
	engine *risk.Engine
	store  store.Store
	notify messaging.Notifier
	log    *slog.Logger
	read   func(string) ([]byte, error)
	mu     sync.Mutex // serialises reloads
	gen    int64      // the stored generation in force (a cluster's), guarded by mu
	states *stateCache
	facts  *factsCache
}

// New loads the configured rules and returns the scanner. A problem in
// any file is an error that lists each at its file:line:col.
func New(cfg Config, d Deps) (*Scanner, error) {
	if d.Store == nil {
		return nil, errors.New("risk scanner: a store is required")
	}
	if cfg.EstablishedAfter <= 0 {
		cfg.EstablishedAfter = DefaultEstablishedAfter
	}
	if cfg.RefusalWindow <= 0 {
		cfg.RefusalWindow = DefaultRefusalWindow
	}
	if cfg.NoticeInterval <= 0 {
		cfg.NoticeInterval = DefaultNoticeInterval
	}
	if cfg.FactsTTL == 0 {
		cfg.FactsTTL = DefaultFactsTTL
	}
	if cfg.StateCache == 0 {
		cfg.StateCache = DefaultStateCache
	}
	if cfg.Zone == nil {
		z, err := time.LoadLocation(DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("risk scanner: %w", err)
		}
		cfg.Zone = z
	}
	r := &Scanner{cfg: cfg, store: d.Store, notify: d.Notify, log: d.Log, read: d.ReadFile,
		states: newStateCache(cfg.StateCache), facts: newFactsCache(cfg.FactsTTL, 4*max(cfg.StateCache, 256))}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.read == nil {
		r.read = os.ReadFile
	}
	rs, err := r.load()
	if err != nil {
		return nil, err
	}
	r.engine = risk.NewEngine(rs)
	return r, nil
}

// Engine returns the engine that scores messages, for its rules and
// counters.
func (r *Scanner) Engine() *risk.Engine { return r.engine }

// RuleSet returns the rules in force.
func (r *Scanner) RuleSet() *risk.RuleSet { return r.engine.RuleSet() }

// Counters returns each rule's counts since the server started.
func (r *Scanner) Counters() []risk.RuleCounter { return r.engine.Counters() }

// Reload reads the rule and lexicon files again and puts them in force. On
// any problem the rules in force stay, and the error (kind ErrInvalid, code
// invalid_rules) lists each problem at its file:line:col.
func (r *Scanner) Reload(ctx context.Context) (*risk.RuleSet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rs, err := r.load()
	if err != nil {
		r.log.WarnContext(ctx, "risk rules not reloaded; the rules in force stay", "err", err)
		return nil, err
	}
	r.engine.Swap(rs)
	r.log.InfoContext(ctx, "risk rules reloaded", "version", rs.Version(), "rules", len(rs.Rules()))
	return rs, nil
}

// load reads and compiles the configured files.
func (r *Scanner) load() (*risk.RuleSet, error) {
	src, err := r.readSources()
	if err != nil {
		return nil, err
	}
	return src.compile()
}

// sources are the rule and lexicon files a rule set is compiled from, as
// read (the embedded ones included): what a server of a cluster stores for
// the others to put in force.
type sources struct {
	Rules    []risk.Source `json:"rules"`
	Lexicons []risk.Source `json:"lexicons"`
}

// readSources reads the configured files.
func (r *Scanner) readSources() (*sources, error) {
	names := r.cfg.Rules
	if len(names) == 0 {
		names = []string{DefaultRules}
	}
	src := &sources{Lexicons: []risk.Source{risk.DefaultLexicon()}}
	for _, n := range names {
		if n == DefaultRules {
			src.Rules = append(src.Rules, risk.DefaultRules())
			continue
		}
		b, err := r.read(n)
		if err != nil {
			return nil, &safeguard.Error{Kind: safeguard.ErrInvalid, Code: "invalid_rules", Message: fmt.Sprintf("Rules file %s cannot be read.", n), Err: err}
		}
		src.Rules = append(src.Rules, risk.Source{Name: n, Data: b})
	}
	for _, n := range r.cfg.Lexicons {
		b, err := r.read(n)
		if err != nil {
			return nil, &safeguard.Error{Kind: safeguard.ErrInvalid, Code: "invalid_rules", Message: fmt.Sprintf("Lexicon file %s cannot be read.", n), Err: err}
		}
		src.Lexicons = append(src.Lexicons, risk.Source{Name: n, Data: b})
	}
	return src, nil
}

// compile compiles the sources into a rule set.
func (src *sources) compile() (*risk.RuleSet, error) {
	rs, err := risk.Load(src.Rules, src.Lexicons)
	if err != nil {
		var le *risk.LoadError
		if errors.As(err, &le) {
			return nil, &safeguard.Error{Kind: safeguard.ErrInvalid, Code: "invalid_rules", Message: le.Error(), Err: le}
		}
		return nil, err
	}
	return rs, nil
}

// Scan implements messaging.Scanner. Messages in conversations without a
// minor are not scored, nor are end-to-end encrypted ones (the server
// cannot read them).
func (r *Scanner) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
	if c.Conversation == nil || c.Conversation.E2EE || c.Message == nil || c.Message.Kind == safeguard.EnvelopeMessage || c.Sender == nil {
		return messaging.Verdict{}, nil
	}
	minor := c.Sender.Band(c.Now).Minor()
	for _, a := range c.Recipients {
		minor = minor || a.Band(c.Now).Minor()
	}
	if !minor || len(c.Recipients) == 0 {
		return messaging.Verdict{}, nil
	}
	j := &riskJob{r: r, c: c, msg: risk.Message{
		From:     strconv.FormatInt(c.Sender.ID, 10),
		T:        max(c.Now.Sub(c.Conversation.CreatedAt), 0),
		Text:     c.Message.Text,
		HasImage: c.Message.Kind == safeguard.ImageMessage,
		At:       c.Now.In(r.cfg.Zone),
	}}
	var accounts []*safeguard.Account
	accounts, j.members, j.facts = members(c)
	key := keyOf(c, accounts)
	facts, haveFacts := r.facts.get(key, c.Now)
	state, version, haveState := r.states.get(c.Conversation.ID)
	if !haveFacts || !haveState {
		err := viewTx(ctx, r.store, func(tx Tx) error {
			if !haveFacts {
				var err error
				if facts, err = r.loadFacts(ctx, tx, c, accounts); err != nil {
					return err
				}
			}
			if !haveState {
				var err error
				state, version, err = loadState(ctx, tx, c.Conversation.ID)
				return err
			}
			return nil
		})
		if err != nil {
			return messaging.Verdict{}, fmt.Errorf("risk scan: %w", err)
		}
		if !haveFacts {
			r.facts.put(key, facts, c.Now)
		}
	}
	facts.apply(j.members, j.facts)
	j.prev = version
	if err := j.score(state); err != nil {
		return messaging.Verdict{}, fmt.Errorf("risk scan: %w", err)
	}
	return messaging.Verdict{Record: j.record, After: j.after}, nil
}

// riskJob is the scoring of one message: scored first against the state read
// before the transaction, and again inside it if another message of the
// conversation saved first.
type riskJob struct {
	r       *Scanner
	c       *messaging.Content
	msg     risk.Message
	members []risk.Member
	facts   []safeguard.RiskMember

	prev    int64 // the version the state was read at
	state   *convState
	verdict risk.Verdict

	notice string  // set by record: the notice the minors see
	minors []int64 // the minor recipients shown it
}

// score scores the message against st, which it changes.
func (j *riskJob) score(st *convState) error {
	v, err := j.r.engine.Score(st.Conversation, j.members, j.msg)
	if err != nil {
		return err
	}
	j.state, j.verdict = st, v
	return nil
}

// record saves the state in the message's transaction and, on the first
// firing of an enforced rule, writes the detection, its event, and the
// notices' outbox events.
func (j *riskJob) record(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
	conv := j.c.Conversation.ID
	// Each save gets a new random version, so that a state cached from a
	// transaction that rolled back never passes for one that committed.
	version := rand.Int64N(math.MaxInt64) + 1
	for attempt := 1; ; attempt++ {
		fresh := j.decide(m)
		enc, err := json.Marshal(j.state)
		if err != nil {
			return err
		}
		err = tx.SaveRiskState(ctx, conv, j.prev, version, enc, j.c.Now)
		if err == nil {
			// Cached before the commit: a state whose transaction rolls
			// back is caught by the version check of the next save.
			j.r.states.put(conv, version, j.state)
			if len(fresh) == 0 {
				return nil
			}
			return j.writeAlert(ctx, tx, m, fresh)
		}
		if !errors.Is(err, safeguard.ErrConflict) || attempt == maxSaveAttempts {
			j.r.states.drop(conv)
			return fmt.Errorf("risk state: %w", err)
		}
		// Another message of the conversation saved first: score this one
		// again on top of it.
		st, v, err := loadState(ctx, tx, conv)
		if err != nil {
			return err
		}
		j.prev = v
		if err := j.score(st); err != nil {
			return err
		}
	}
}

// decide returns the enforced rules that fired for the first time at this
// message and chooses the minors to show a notice: each minor who received
// the message, unless they were shown one about the same sender in this
// conversation within NoticeInterval — except that a sextortion warning
// always follows a risk warning. The limit is per conversation and sender,
// never per young person: a second adult, here or in another chat, brings a
// warning of their own. It notes the notices in the state.
func (j *riskJob) decide(m *safeguard.Message) []risk.FiredRule {
	j.notice, j.minors = "", nil
	fresh := newAlerts(j.verdict)
	if len(fresh) == 0 || j.verdict.Notice == risk.NoNotice || m.Status == safeguard.Held {
		return fresh
	}
	code := string(j.verdict.Notice)
	if j.verdict.Notice == risk.SextortionEmergency {
		j.emergency(code)
		return fresh
	}
	for _, a := range j.c.Recipients {
		if !a.Band(j.c.Now).Minor() {
			continue
		}
		id := markKey(a.ID, j.c.Sender.ID)
		last, ok := j.state.Notices[id]
		if ok && j.c.Now.Sub(last.At) < j.r.cfg.NoticeInterval && (last.Code == code || code != string(risk.SextortionWarning)) {
			continue
		}
		if j.state.Notices == nil {
			j.state.Notices = map[string]noticeMark{}
		}
		j.state.Notices[id] = noticeMark{Code: code, At: j.c.Now}
		j.minors = append(j.minors, a.ID)
	}
	if len(j.minors) > 0 {
		j.notice = code
	}
	return fresh
}

// emergency chooses the sender alone, a young person whose own words show
// they are being extorted, to be shown the emergency notice at once; the
// other members are shown nothing.
func (j *riskJob) emergency(code string) {
	if !j.c.Sender.Band(j.c.Now).Minor() {
		return
	}
	if j.state.Notices == nil {
		j.state.Notices = map[string]noticeMark{}
	}
	j.state.Notices[markKey(j.c.Sender.ID, j.c.Sender.ID)] = noticeMark{Code: code, At: j.c.Now}
	j.notice, j.minors = code, []int64{j.c.Sender.ID}
}

// after shows the minors who received the message their support notice.
func (j *riskJob) after(ctx context.Context, m *safeguard.Message) {
	if j.notice == "" || len(j.minors) == 0 || j.r.notify == nil {
		return
	}
	j.r.notify.Notify(ctx, messaging.Notification{
		Type:    safeguard.EventSafetyNotice,
		To:      j.minors,
		Message: &messaging.MessageView{Message: m, Sender: j.c.Sender},
		Notice:  j.notice,
	})
}

// markKey is the key of the notice a young person was shown about a sender
// in the conversation's state.
func markKey(minor, sender int64) string {
	return strconv.FormatInt(minor, 10) + "/" + strconv.FormatInt(sender, 10)
}

// newAlerts returns the enforced rules that fired for the first time in the
// conversation at this message.
func newAlerts(v risk.Verdict) []risk.FiredRule {
	var out []risk.FiredRule
	for _, fr := range v.Rules {
		if !fr.Shadow && fr.FirstAt == v.MessageIndex {
			out = append(out, fr)
		}
	}
	return out
}

// ruleList names rules for a summary line.
func ruleList(rs []risk.FiredRule) string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}

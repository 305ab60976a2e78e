package risk

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"
	"github.com/safeguard-dev/safeguard"
)

// Verdict is the scorer's answer for one message.
type Verdict struct {
	MessageIndex int         `json:"message_index"`
	Alert        bool        `json:"alert"`              // an enforced rule fired
	Severity     Severity    `json:"severity,omitempty"` // the highest of the enforced rules that fired
	Notice       Notice      `json:"notice,omitempty"`   // what the minors in the conversation should see
	Rules        []FiredRule `json:"rules,omitempty"`
	// Signals are the signals of this message, and for each fired rule the
	// signals and facts it used, each with where it came from.
	Signals        []Signal `json:"signals,omitempty"`
	RuleSetVersion string   `json:"rule_set_version"`
}

// FiredRule is one rule that fired on a message, as a risk alert records it.
type FiredRule = safeguard.FiredRule

// RuleCounter counts one rule's evaluations since the engine started. Counts
// survive reloads for rules that keep their id.
type RuleCounter struct {
	ID        string
	Mode      Mode
	Evaluated int64
	Fired     int64
	Errors    int64 // evaluations that failed; the rule did not fire
}

type counter struct{ evaluated, fired, errors atomic.Int64 }

// live is a rule set with the counters of its rules, swapped as one.
type live struct {
	rs       *RuleSet
	counters []*counter
}

// Engine scores messages with the rule set in force, which can be replaced
// while it runs: a reload that fails leaves the old rules in force. It is safe
// for concurrent use; each Conversation must be used by one caller at a time.
type Engine struct {
	cur      atomic.Pointer[live]
	mu       sync.Mutex // serialises swaps and guards counters
	counters map[string]*counter
}

// NewEngine returns an engine with rs in force.
func NewEngine(rs *RuleSet) *Engine {
	e := &Engine{counters: map[string]*counter{}}
	e.Swap(rs)
	return e
}

// RuleSet returns the rule set in force.
func (e *Engine) RuleSet() *RuleSet { return e.cur.Load().rs }

// Swap puts rs in force.
func (e *Engine) Swap(rs *RuleSet) {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := &live{rs: rs, counters: make([]*counter, len(rs.rules))}
	for i, r := range rs.rules {
		c := e.counters[r.ID]
		if c == nil {
			c = &counter{}
			e.counters[r.ID] = c
		}
		l.counters[i] = c
	}
	e.cur.Store(l)
}

// Reload loads rules and lexicons and puts them in force. On any problem it
// returns the *LoadError and the rules in force stay as they were.
func (e *Engine) Reload(rules, lexicons []Source) (*RuleSet, error) {
	rs, err := Load(rules, lexicons)
	if err != nil {
		return nil, err
	}
	e.Swap(rs)
	return rs, nil
}

// Counters returns the counts of the rules in force, in rule order.
func (e *Engine) Counters() []RuleCounter {
	l := e.cur.Load()
	out := make([]RuleCounter, len(l.rs.rules))
	for i, r := range l.rs.rules {
		c := l.counters[i]
		out[i] = RuleCounter{ID: r.ID, Mode: r.Mode, Evaluated: c.evaluated.Load(), Fired: c.fired.Load(), Errors: c.errors.Load()}
	}
	return out
}

// Score scores message m, sent by one of members, and adds it to the state
// c. members are the conversation's members as they are now.
func (e *Engine) Score(c *Conversation, members []Member, m Message) (Verdict, error) {
	l := e.cur.Load()
	rs := l.rs
	var sender *Member
	for i := range members {
		if members[i].ID == m.From {
			sender = &members[i]
			break
		}
	}
	if sender == nil {
		return Verdict{}, safeguard.Invalid("unknown_sender", "The sender %q is not a member of the conversation.", m.From)
	}
	idx := c.Messages
	ms := c.member(m.From)
	toks, truncated := rs.lex.norm.tokens(m.Text)
	hits := rs.lex.detect(ms.Tail, toks, idx)
	if m.HasImage {
		hits = append(hits, hit{Signal: Signal{Name: SignalImageSent, MessageIndex: idx, Evidence: "[image]"}})
	}
	if truncated {
		hits = append(hits, hit{Signal: Signal{Name: SignalOversized, MessageIndex: idx, Evidence: strconv.Itoa(len(m.Text)) + " bytes"}})
	}
	if nightTalk(m, sender, members) {
		hits = append(hits, hit{Signal: Signal{Name: SignalNight, MessageIndex: idx, Evidence: m.At.Format("15:04") + " local"}})
	}
	for _, h := range hits {
		if h.Name != SignalAgeClaim || h.age == 0 {
			continue
		}
		ms.ClaimedAge = h.age
		if why := contradicts(sender, h.age); why != "" {
			hits = append(hits, hit{Signal: Signal{Name: SignalAgeDeception, MessageIndex: idx, Pattern: h.Pattern, Evidence: why}})
		}
		break
	}
	if h, ok := ownAsk(hits, idx); ok {
		hits = append(hits, h)
	}
	ms.record(hits)
	// A short message joins the sender's run of short messages when at
	// most one message from someone else came between ("send" / "no" /
	// "more" / "?" / "or everyone sees").
	ms.setTail(toks, ms.Messages > 0 && ms.Last >= idx-2)
	ms.Messages++
	ms.Last = idx
	c.Messages++

	ev := newEvalVars(c, members, sender, m, idx, hits, rs.names)
	v := Verdict{MessageIndex: idx, RuleSetVersion: rs.version}
	// Talk at night between a minor and someone older, at this message or
	// before in the conversation, raises each rule's severity one step; it
	// never makes a rule fire.
	night := ev.signals[SignalNight].Count+ev.peer[SignalNight].Count > 0
	for _, h := range hits {
		v.Signals = append(v.Signals, h.Signal)
	}
	for i, r := range rs.rules {
		cnt := l.counters[i]
		cnt.evaluated.Add(1)
		out, _, err := r.prg.Eval(ev)
		if err != nil {
			cnt.errors.Add(1)
			continue
		}
		if out != types.True {
			continue
		}
		cnt.fired.Add(1)
		if c.Fired == nil {
			c.Fired = map[string]int{}
		}
		first, ok := c.Fired[r.ID]
		if !ok {
			first = idx
			c.Fired[r.ID] = idx
		}
		sev := r.Severity
		if night {
			sev = raise(sev)
		}
		v.Rules = append(v.Rules, FiredRule{ID: r.ID, Severity: sev, Category: r.Category, Shadow: r.Mode == Shadow, FirstAt: first})
		if r.Mode != Enforce {
			continue // shadow rules are counted, never acted on or explained
		}
		v.Signals = append(v.Signals, explain(c, r, sender, ev)...)
		if night {
			v.Signals = append(v.Signals, nightHits(c)...)
		}
		v.Alert = true
		if sev.Rank() > v.Severity.Rank() {
			v.Severity = sev
		}
		if ev.conversation.Minors > 0 && r.Notice.rank() > v.Notice.rank() {
			v.Notice = r.Notice
		}
	}
	v.Signals = dedupe(v.Signals)
	return v, nil
}

// askSignals are the signals that are an ask of the young person in
// themselves: to hide the contact, delete the chat, tell a story, meet
// alone, turn on a camera or move to another channel.
var askSignals = []string{"hide_from_carers", "delete_chat", "cover_story", "alone_meet", "image_personal", "hidden_channel"}

// ownAsk returns the built-in own_ask hit when the message makes one of the
// askSignals and is no lesson or advice (no teaching signal in it). The
// rules excuse quoted asks in a lesson or in advice only while the sender
// has made none of their own, so advice ("if anyone asks you to keep
// secrets, tell me") cannot cover a real ask in another message.
func ownAsk(hits []hit, idx int) (hit, bool) {
	var ask *hit
	for i := range hits {
		switch {
		case hits[i].Name == "teaching":
			return hit{}, false
		case ask == nil && slices.Contains(askSignals, hits[i].Name):
			ask = &hits[i]
		}
	}
	if ask == nil {
		return hit{}, false
	}
	return hit{Signal: Signal{Name: SignalOwnAsk, MessageIndex: idx, Pattern: ask.Name, Evidence: ask.Evidence}}, true
}

// nightHits returns the stored hits of the night signal of every member:
// why a rule's severity was raised.
func nightHits(c *Conversation) []Signal {
	var out []Signal
	for _, ms := range c.Members {
		if s := ms.Signals[SignalNight]; s != nil {
			out = append(out, s.Hits...)
		}
	}
	return out
}

// contradicts says how a stated age contradicts the sender's profile, or "".
func contradicts(m *Member, age int) string {
	stated := "stated " + strconv.Itoa(age)
	switch {
	case m.AgeBand == safeguard.Adult && age < safeguard.AdultFrom:
		return stated + "; account is adult"
	case m.AgeBand == safeguard.Child && age >= safeguard.TeenFrom:
		return stated + "; account is child"
	case m.AgeBand == safeguard.Teen && (age < safeguard.TeenFrom || age >= safeguard.AdultFrom):
		return stated + "; account is teen"
	case m.DeclaredAge > 0 && (age-m.DeclaredAge >= 3 || m.DeclaredAge-age >= 3):
		return stated + "; profile says " + strconv.Itoa(m.DeclaredAge)
	}
	return ""
}

// explain lists what a fired rule used: the stored hits of the signals it
// names and the account facts it reads.
func explain(c *Conversation, r *compiledRule, sender *Member, ev *evalVars) []Signal {
	var out []Signal
	if ms := c.Members[sender.ID]; ms != nil {
		for _, name := range r.signals {
			if s := ms.Signals[name]; s != nil {
				out = append(out, s.Hits...)
			}
		}
	}
	for id, ms := range c.Members {
		if id == sender.ID {
			continue
		}
		for _, name := range r.peer {
			if s := ms.Signals[name]; s != nil {
				out = append(out, s.Hits...)
			}
		}
	}
	for _, f := range r.facts {
		if val, ok := ev.fact(f); ok {
			out = append(out, Signal{Name: f, MessageIndex: -1, Evidence: val})
		}
	}
	return out
}

func dedupe(s []Signal) []Signal {
	slices.SortStableFunc(s, func(a, b Signal) int {
		return cmp.Or(cmp.Compare(a.MessageIndex, b.MessageIndex), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Pattern, b.Pattern))
	})
	return slices.Compact(s)
}

// evalVars is the activation rules are evaluated against.
type evalVars struct {
	sender, recipient Party
	signals, peer     map[string]SignalCount
	message           MessageFacts
	conversation      ConversationFacts
}

var _ interpreter.Activation = (*evalVars)(nil)

func (ev *evalVars) ResolveName(name string) (any, bool) {
	switch name {
	case "sender":
		return ev.sender, true
	case "recipient":
		return ev.recipient, true
	case "signals":
		return ev.signals, true
	case "peer":
		return ev.peer, true
	case "message":
		return ev.message, true
	case "conversation":
		return ev.conversation, true
	}
	return nil, false
}

func (ev *evalVars) Parent() interpreter.Activation { return nil }

// fact returns the value of "sender.x" or "recipient.x" as text.
func (ev *evalVars) fact(name string) (string, bool) {
	p := &ev.sender
	field := ""
	switch {
	case len(name) > 7 && name[:7] == "sender.":
		field = name[7:]
	case len(name) > 10 && name[:10] == "recipient.":
		p, field = &ev.recipient, name[10:]
	default:
		return "", false
	}
	switch field {
	case "age_band":
		return p.AgeBand, true
	case "minor":
		return strconv.FormatBool(p.Minor), true
	case "adult":
		return strconv.FormatBool(p.Adult), true
	case "child":
		return strconv.FormatBool(p.Child), true
	case "teen":
		return strconv.FormatBool(p.Teen), true
	case "declared_age":
		return strconv.Itoa(p.DeclaredAge), true
	case "verified":
		return strconv.FormatBool(p.Verified), true
	case "connected":
		return strconv.FormatBool(p.Connected), true
	case "account_age_days":
		return strconv.Itoa(p.AccountAgeDays), true
	case "contact_origin":
		return p.ContactOrigin, true
	case "refused_minor_attempts":
		return strconv.Itoa(p.RefusedMinorAttempts), true
	case "claimed_age":
		return strconv.Itoa(p.ClaimedAge), true
	case "messages":
		return strconv.Itoa(p.Messages), true
	}
	return "", false
}

// bandRank orders members from the youngest: the recipient a rule sees is
// the youngest other member.
func bandRank(b safeguard.AgeBand) int {
	switch b {
	case safeguard.Child:
		return 0
	case safeguard.Teen:
		return 1
	case safeguard.Adult:
		return 2
	}
	return 3
}

func newEvalVars(c *Conversation, members []Member, sender *Member, m Message, idx int, hits []hit, names []string) *evalVars {
	ev := &evalVars{
		sender:  partyOf(sender, c.Members[sender.ID]),
		signals: make(map[string]SignalCount, len(names)),
		peer:    make(map[string]SignalCount, len(names)),
	}
	for _, n := range names {
		ev.signals[n] = SignalCount{First: -1, Last: -1}
		ev.peer[n] = SignalCount{First: -1, Last: -1}
	}
	for name, s := range c.Members[sender.ID].Signals {
		ev.signals[name] = SignalCount{Count: s.Count, First: s.First, Last: s.Last}
	}
	var rec *Member
	for i := range members {
		o := &members[i]
		if o.ID == sender.ID {
			continue
		}
		switch {
		case o.AgeBand.Minor():
			ev.conversation.Minors++
		case o.AgeBand == safeguard.Adult:
			ev.conversation.Adults++
		}
		if rec == nil || bandRank(o.AgeBand) < bandRank(rec.AgeBand) ||
			bandRank(o.AgeBand) == bandRank(rec.AgeBand) && o.DeclaredAge > 0 && (rec.DeclaredAge == 0 || o.DeclaredAge < rec.DeclaredAge) {
			rec = o
		}
		for name, s := range c.Members[o.ID].signalsOrNil() {
			p := ev.peer[name]
			if p.Count == 0 || s.First < p.First {
				p.First = s.First
			}
			p.Last = max(p.Last, s.Last)
			p.Count += s.Count
			ev.peer[name] = p
		}
	}
	switch {
	case sender.AgeBand.Minor():
		ev.conversation.Minors++
	case sender.AgeBand == safeguard.Adult:
		ev.conversation.Adults++
	}
	if rec != nil {
		ev.recipient = partyOf(rec, c.Members[rec.ID])
	} else {
		ev.recipient = Party{AccountAgeDays: -1}
	}
	guardianFacts(ev, members, sender, rec)
	if sender.DeclaredAge > 0 && rec != nil && rec.DeclaredAge > 0 {
		ev.conversation.AgeGap = sender.DeclaredAge - rec.DeclaredAge
	}
	ev.conversation.Messages = c.Messages
	ev.conversation.Members = len(members)
	ev.conversation.Group = len(members) > 2
	ev.message = MessageFacts{Index: idx, Seconds: int(m.T.Seconds()), HasImage: m.HasImage, LocalHour: -1, Night: atNight(m.At)}
	if !m.At.IsZero() {
		ev.message.LocalHour = m.At.Hour()
	}
	for _, h := range hits {
		ev.message.Signals = append(ev.message.Signals, h.Name)
	}
	return ev
}

func (ms *MemberState) signalsOrNil() map[string]*SignalState {
	if ms == nil {
		return nil
	}
	return ms.Signals
}

// guardianFacts sets the conversation's guardian facts: a guardian link
// between the sender and the recipient, and a guardian of a minor present
// as another member. They change what a photo request means; they never
// silence secrecy, isolation, meeting or sextortion rules.
func guardianFacts(ev *evalVars, members []Member, sender, rec *Member) {
	if rec != nil && (sender.guardianOf(rec.ID) || rec.guardianOf(sender.ID)) {
		ev.conversation.GuardianLink = true
	}
	for i := range members {
		g := &members[i]
		if g.ID == sender.ID || len(g.GuardianOf) == 0 {
			continue
		}
		for j := range members {
			if members[j].AgeBand.Minor() && g.guardianOf(members[j].ID) {
				ev.conversation.GuardianPresent = true
				return
			}
		}
	}
}

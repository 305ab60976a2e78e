package risk

import "slices"

// Conversation is the scorer's state for one conversation: small, built up
// message by message, and meant to be stored (as JSON) between messages. The
// zero value is the state before the first message.
type Conversation struct {
	// Messages is how many messages have been scored; the next message's
	// index.
	Messages int `json:"messages"`
	// Members holds what each sender has said so far, by Member.ID.
	Members map[string]*MemberState `json:"members,omitempty"`
	// Fired maps each rule that has fired to the index of the first message
	// it fired at.
	Fired map[string]int `json:"fired,omitempty"`
}

// MemberState is what one member has said so far.
type MemberState struct {
	Messages   int                     `json:"messages"`
	ClaimedAge int                     `json:"claimed_age,omitempty"` // the last age they stated, 0 if none
	Signals    map[string]*SignalState `json:"signals,omitempty"`
	// Tail is the last few tokens of their last message, the context for a
	// request split over two messages; after a run of short messages sent
	// one after another, the last tokens of the run ("send" / "more" / "or"
	// / "everyone" / "sees").
	Tail []string `json:"tail,omitempty"`
	// Last is the index of their last message.
	Last int `json:"last,omitempty"`
}

// SignalState counts one signal for one member.
type SignalState struct {
	Count int      `json:"count"` // messages it fired in
	First int      `json:"first"` // index of the first of them
	Last  int      `json:"last"`  // index of the last of them
	Hits  []Signal `json:"hits"`  // the first hit and the most recent ones
}

// Bounds on the state kept per member.
const (
	tailTokens = 6
	maxHits    = 3
	// A message of at most shortTokens tokens sent right after the
	// sender's previous message joins it: the tail then keeps the last
	// runTokens tokens of the run.
	shortTokens = 3
	runTokens   = 8
)

func (c *Conversation) member(id string) *MemberState {
	if c.Members == nil {
		c.Members = map[string]*MemberState{}
	}
	ms := c.Members[id]
	if ms == nil {
		ms = &MemberState{}
		c.Members[id] = ms
	}
	return ms
}

// record adds the hits of one message to the member's state.
func (ms *MemberState) record(hits []hit) {
	for _, h := range hits {
		if ms.Signals == nil {
			ms.Signals = map[string]*SignalState{}
		}
		s := ms.Signals[h.Name]
		if s == nil {
			s = &SignalState{First: h.MessageIndex}
			ms.Signals[h.Name] = s
		}
		if s.Count > 0 && s.Last == h.MessageIndex {
			continue
		}
		s.Count++
		s.Last = h.MessageIndex
		s.Hits = append(s.Hits, h.Signal)
		if len(s.Hits) > maxHits {
			// Keep the first hit and the most recent ones.
			s.Hits = append(s.Hits[:1], s.Hits[len(s.Hits)-maxHits+1:]...)
		}
	}
}

// setTail keeps the context for the sender's next message: the last tokens
// of this one, or, when this one is short and follows their previous message
// with nobody writing in between (join), the last tokens of the run.
func (ms *MemberState) setTail(toks []string, join bool) {
	if join && len(toks) <= shortTokens && len(ms.Tail) > 0 {
		run := append(slices.Clone(ms.Tail), toks...)
		ms.Tail = run[max(0, len(run)-runTokens):]
		return
	}
	if len(toks) > tailTokens {
		toks = toks[len(toks)-tailTokens:]
	}
	ms.Tail = slices.Clone(toks)
}

// Clone returns a deep copy of c.
func (c *Conversation) Clone() *Conversation {
	out := &Conversation{Messages: c.Messages}
	if c.Fired != nil {
		out.Fired = make(map[string]int, len(c.Fired))
		for k, v := range c.Fired {
			out.Fired[k] = v
		}
	}
	if c.Members != nil {
		out.Members = make(map[string]*MemberState, len(c.Members))
		for id, ms := range c.Members {
			m := &MemberState{Messages: ms.Messages, ClaimedAge: ms.ClaimedAge, Tail: slices.Clone(ms.Tail), Last: ms.Last}
			if ms.Signals != nil {
				m.Signals = make(map[string]*SignalState, len(ms.Signals))
				for k, s := range ms.Signals {
					m.Signals[k] = &SignalState{Count: s.Count, First: s.First, Last: s.Last, Hits: slices.Clone(s.Hits)}
				}
			}
			out.Members[id] = m
		}
	}
	return out
}

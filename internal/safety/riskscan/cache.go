package riskscan

import (
	"container/list"
	"sync"
	"time"
)

// stateCache keeps the risk state of the conversations scored most recently,
// so that scoring a message reads nothing from the store. It is a hint: the
// version saved with each state is checked by the store on every write
// (SaveRiskState), and a state that is out of date (written by another
// server, or by a transaction that rolled back) is read again from the store
// and the message scored again.
type stateCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *stateEntry, most recent first
	byID  map[int64]*list.Element
}

type stateEntry struct {
	conv    int64
	version int64
	state   *convState // never changed once cached
}

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, order: list.New(), byID: map[int64]*list.Element{}}
}

// get returns a copy of the cached state of a conversation and its version.
func (c *stateCache) get(conv int64) (*convState, int64, bool) {
	if c.max <= 0 {
		return nil, 0, false
	}
	c.mu.Lock()
	e, ok := c.byID[conv]
	if !ok {
		c.mu.Unlock()
		return nil, 0, false
	}
	c.order.MoveToFront(e)
	se := e.Value.(*stateEntry)
	c.mu.Unlock()
	return se.state.clone(), se.version, true
}

// put caches st as the state of conv at version; st must not be changed
// afterwards. A state that has scored fewer messages never replaces one
// that has scored more.
func (c *stateCache) put(conv, version int64, st *convState) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[conv]; ok {
		se := e.Value.(*stateEntry)
		if se.state.Messages <= st.Messages {
			se.version, se.state = version, st
		}
		c.order.MoveToFront(e)
		return
	}
	c.byID[conv] = c.order.PushFront(&stateEntry{conv: conv, version: version, state: st})
	for c.order.Len() > c.max {
		last := c.order.Back()
		delete(c.byID, last.Value.(*stateEntry).conv)
		c.order.Remove(last)
	}
}

// drop forgets a conversation's state.
func (c *stateCache) drop(conv int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[conv]; ok {
		delete(c.byID, conv)
		c.order.Remove(e)
	}
}

// factsKey names the facts read from the store for one message: the
// conversation, its sender and recipient, and who else is in it.
type factsKey struct {
	conv, sender, recipient int64
	members                 uint64 // a hash of the member IDs
}

// storedFacts are the facts of the sender and the recipient that come from
// the store: contacts and refused attempts.
type storedFacts struct {
	connected [2]bool
	origin    [2]string
	refused   [2]int
	adult     [2]bool // refused is known (the account was an adult)
	expires   time.Time
}

// factsCache keeps storedFacts for a short time: contacts between the
// members of a conversation hardly change while they write, and a refused
// attempt to reach a minor counts within the TTL.
type factsCache struct {
	mu  sync.Mutex
	ttl time.Duration
	max int
	m   map[factsKey]storedFacts
}

func newFactsCache(ttl time.Duration, max int) *factsCache {
	return &factsCache{ttl: ttl, max: max, m: map[factsKey]storedFacts{}}
}

func (c *factsCache) get(k factsKey, now time.Time) (storedFacts, bool) {
	if c.ttl <= 0 {
		return storedFacts{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.m[k]
	if !ok || !now.Before(f.expires) {
		return storedFacts{}, false
	}
	return f, true
}

func (c *factsCache) put(k factsKey, f storedFacts, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	f.expires = now.Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, v := range c.m {
			if !now.Before(v.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[k] = f
}

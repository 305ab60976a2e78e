package messaging

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Defaults of the refusal log.
const (
	// DefaultRefusalQueue is how many refusals may wait for the writer.
	// The writer takes them in batches, so it falls behind only when the
	// store does.
	DefaultRefusalQueue = 4096
	// DefaultRefusalEvery is how often the writer stores what is queued.
	// Writing on its own clock, not as each refusal comes, keeps the work
	// apart from the request that caused it: a request right after a
	// refusal toward a young person does not wait behind its write.
	DefaultRefusalEvery = time.Second
	refusalBatch        = 256
	refusalWriteTimeout = 30 * time.Second
)

// refusalLog records the policy's refusals off the request path. A refusal
// toward a concealed account must cost the requester no more than a handle
// nobody has: a write before answering would be a timing channel. So the
// request only queues the refusal in memory, and one writer, owned by the
// service, stores each batch (the refusal, its audit entry and its outbox
// event) in one transaction, every DefaultRefusalEvery or when a batch is
// full.
//
// The risk rules count stored refusals (store.RecordTx.RefusedMinors), so a
// refusal counts from its write on, about a second after the request.
//
// When the queue is full the refusal is dropped, counted and logged, rather
// than written on the request path or making the request wait: either would
// let a flood of requests time the answers again. The queue is sized so that
// only a store that stops keeping up fills it.
type refusalLog struct {
	store store.Store
	log   *slog.Logger
	every time.Duration

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan refusalItem
	done   chan struct{}

	written atomic.Int64
	dropped atomic.Int64 // full queue, closed log, or a failed write
}

// refusalItem is a refusal to store, a failed login (login set), or, with
// flushed set, a marker that the writer closes once everything queued
// before it is stored.
type refusalItem struct {
	r       safeguard.Refusal
	login   *safeguard.Login
	flushed chan struct{}
}

func newRefusalLog(st store.Store, log *slog.Logger, size int, every time.Duration) *refusalLog {
	if size <= 0 {
		size = DefaultRefusalQueue
	}
	if every <= 0 {
		every = DefaultRefusalEvery
	}
	l := &refusalLog{store: st, log: log, every: every, queue: make(chan refusalItem, size), done: make(chan struct{})}
	go l.run()
	return l
}

// add queues r without waiting. It never touches the store.
func (l *refusalLog) add(r safeguard.Refusal) {
	if !l.put(refusalItem{r: r}) {
		if n := l.dropped.Add(1); n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th… drop
			l.log.Error("refusal not recorded: queue full or closed", "action", r.Action, "reason", r.Reason, "dropped", n)
		}
	}
}

// addLogin queues a failed login without waiting. A wrong password for an
// account that exists must cost no more than one for a handle nobody has,
// so its record is written by the same writer as refusals, off the request
// path.
func (l *refusalLog) addLogin(login safeguard.Login) {
	if !l.put(refusalItem{login: &login}) {
		if n := l.dropped.Add(1); n&(n-1) == 0 {
			l.log.Error("failed login not recorded: queue full or closed", "dropped", n)
		}
	}
}

// put queues it unless the queue is full or closed.
func (l *refusalLog) put(it refusalItem) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false
	}
	select {
	case l.queue <- it:
		return true
	default:
		return false
	}
}

// flush waits until every refusal queued before it is stored (or dropped).
func (l *refusalLog) flush(ctx context.Context) error {
	marker := refusalItem{flushed: make(chan struct{})}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		select {
		case <-l.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case l.queue <- marker:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-marker.flushed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stores what is queued and stops the writer.
func (l *refusalLog) close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	<-l.done
}

func (l *refusalLog) run() {
	defer close(l.done)
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	var batch []refusalItem
	var markers []chan struct{}
	write := func() {
		l.write(batch)
		for _, m := range markers {
			close(m)
		}
		batch, markers = batch[:0], markers[:0]
	}
	for {
		select {
		case it, ok := <-l.queue:
			if !ok {
				write()
				return
			}
			if it.flushed != nil {
				markers = append(markers, it.flushed)
			} else {
				batch = append(batch, it)
			}
			if len(markers) > 0 || len(batch) >= refusalBatch {
				write()
			}
		case <-tick.C:
			write()
		}
	}
}

// write stores a batch in one transaction.
func (l *refusalLog) write(batch []refusalItem) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), refusalWriteTimeout)
	defer cancel()
	err := updateTx(ctx, l.store, func(tx Tx) error {
		for i := range batch {
			var err error
			if batch[i].login != nil {
				err = tx.RecordLogin(ctx, batch[i].login)
			} else {
				err = recordRefusal(ctx, tx, &batch[i].r)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	refused := 0
	for _, it := range batch {
		if it.login == nil {
			refused++
		}
	}
	if err != nil {
		n := l.dropped.Add(int64(refused))
		l.log.Error("refusals and failed logins not recorded", "count", len(batch), "dropped", n, "err", err)
		return
	}
	l.written.Add(int64(refused))
}

// recordRefusal writes a refusal, its audit entry and its outbox event.
func recordRefusal(ctx context.Context, tx Tx, r *safeguard.Refusal) error {
	if err := tx.RecordRefusal(ctx, r); err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]any{"action": r.Action, "to": r.ToID})
	if err := tx.Audit(ctx, &safeguard.AuditEntry{
		At: r.At, ActorID: r.FromID, Actor: "account", Action: "policy.refused",
		TargetID: r.ToID, Reason: r.Reason, Detail: string(detail),
	}); err != nil {
		return err
	}
	return tx.AppendEvent(ctx, &safeguard.Event{
		Type: safeguard.EventPolicyRefusal, At: r.At, AccountID: r.FromID, Payload: detail,
	})
}

// RefusalStats says how the refusal log is doing: refusals stored, and
// refusals lost (a full queue, a write that failed, or a refusal after
// Close).
type RefusalStats struct {
	Written, Dropped int64
}

// RefusalStats returns the refusal log's counters.
func (s *Service) RefusalStats() RefusalStats {
	return RefusalStats{Written: s.refusals.written.Load(), Dropped: s.refusals.dropped.Load()}
}

// FlushRefusals waits until every refusal made before the call is stored.
// Operators' reads of the audit log call it, so they see every refusal.
func (s *Service) FlushRefusals(ctx context.Context) error {
	return s.refusals.flush(ctx)
}

// Close stores the refusals still queued and stops the service's writer.
// Call it before closing the store. The service answers requests after
// Close, but refusals it makes then are dropped (and counted).
func (s *Service) Close() error {
	s.refusals.close()
	return nil
}

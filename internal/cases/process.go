package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
)

// How Process shares the work: it claims up to claimBatch queued detections
// for claimFor (another server takes them over if this one dies meanwhile),
// splits them into lanes by sender, and in each lane reads what each case
// is made from (Config.Workers readers in all) and records the detections
// recordChunk to a transaction. The lanes' transactions run side by side
// except where they append to the evidence log, which is one chain: that
// comes last in each transaction, once for all its detections.
const (
	lanes       = 8
	claimBatch  = 200
	claimFor    = 2 * time.Minute
	recordChunk = 50
	// recordTries is how many times a chunk is recorded before its
	// detections are tried one by one: a case another server opened at the
	// same moment, or an evidence entry it appended, fails the
	// transaction, and the next try sees them.
	recordTries = 3
)

// Process handles the detections queued for the cases service
// (store.QueueCases): each opens a new case or adds an occurrence to the
// case of that content from that sender. Several servers may run it on one
// database: each claims different detections. A detection is taken out of
// the queue in the transaction that records it, and the unique detection of
// an occurrence makes a second recording of it (after a crash, or a claim
// that ran out) a no-op, so each is handled once. It returns how many
// detections it handled; on an error, what it could not handle stays
// queued for the next call.
func (s *Service) Process(ctx context.Context) (int, error) {
	n := 0
	for {
		var evs []safeguard.Event
		now := time.Now() // claims are between servers: wall-clock time, not the service's clock
		err := updateTx(ctx, s.Store, func(tx Tx) (err error) {
			evs, err = tx.ClaimEvents(ctx, Consumer, now, now.Add(claimFor), claimBatch)
			return
		})
		if err != nil || len(evs) == 0 {
			return n, err
		}
		k, err := s.processBatch(ctx, evs)
		n += k
		if err != nil {
			return n, err
		}
	}
}

// job is one claimed detection on its way to a case.
type job struct {
	ev     safeguard.Event
	id     int64 // the detection; 0 for an event without one
	f      *facts
	staged []evidence.Staged
	logged []evidence.Staged // staged, and the items kept by the detection's source
	out    outcome
	seen   bool // already in a case
	err    error
}

// processBatch handles the claimed events in lanes side by side, the
// detections of one sender always in the same lane and in queue order, and
// releases the claim of those it could not handle.
func (s *Service) processBatch(ctx context.Context, evs []safeguard.Event) (int, error) {
	parts := make([][]*job, lanes)
	for _, ev := range evs {
		lane := int((uint64(ev.AccountID) * 0x9e3779b97f4a7c15 >> 32) % lanes) // IDs spread evenly, whatever their stride
		parts[lane] = append(parts[lane], &job{ev: ev})
	}
	var wg sync.WaitGroup
	for _, part := range parts {
		wg.Go(func() { s.processLane(ctx, part) })
	}
	wg.Wait()
	n := 0
	var errs []error
	var failed []int64
	for _, part := range parts {
		for _, j := range part {
			if j.err != nil {
				s.Vault.Discard(ctx, j.staged)
				errs = append(errs, fmt.Errorf("event %d: %w", j.ev.ID, j.err))
				failed = append(failed, j.ev.ID)
				continue
			}
			n++
			if j.seen {
				s.Vault.Discard(ctx, j.staged)
			} else if j.f != nil {
				s.after(ctx, j.f, &j.out)
			}
		}
	}
	if len(failed) > 0 {
		// Even when ctx ended (the server stops), so that another server
		// need not wait for the claim to run out.
		rctx := context.WithoutCancel(ctx)
		if err := updateTx(rctx, s.Store, func(tx Tx) error { return tx.ReleaseEvents(rctx, Consumer, failed) }); err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// processLane reads, stages and records the jobs of one lane.
func (s *Service) processLane(ctx context.Context, jobs []*job) {
	for _, j := range jobs {
		var p struct {
			DetectionID int64 `json:"detection_id"`
		}
		if json.Unmarshal(j.ev.Payload, &p) != nil || p.DetectionID == 0 {
			s.Log.WarnContext(ctx, "cases: detection event without a detection id", "event", j.ev.ID)
			continue
		}
		j.id = p.DetectionID
	}
	s.parallel(jobs, func(j *job) { j.f, j.err = s.gather(ctx, j.id) })
	items := s.itemsInOrder(jobs)
	s.parallel(jobs, func(j *job) {
		j.staged, j.err = s.Vault.Stage(ctx, items[j])
		j.logged = append(j.staged[:len(j.staged):len(j.staged)], j.logged...)
	})
	for start := 0; start < len(jobs); start += recordChunk {
		s.recordAll(ctx, jobs[start:min(start+recordChunk, len(jobs))])
	}
}

// parallel runs fn on each job that has a detection and no error yet, with
// the lane's share of Config.Workers at once.
func (s *Service) parallel(jobs []*job, fn func(j *job)) {
	next := make(chan *job)
	var wg sync.WaitGroup
	for range min(max(s.cfg.Workers/lanes, 1), len(jobs)) {
		wg.Go(func() {
			for j := range next {
				fn(j)
			}
		})
	}
	for _, j := range jobs {
		if j.id != 0 && j.err == nil {
			next <- j
		}
	}
	close(next)
	wg.Wait()
}

// itemsInOrder lists what to preserve for each job, in the order of the
// queue. The detections of one case in the batch (same sender, same
// content) share one set of preserved items, so that a later one does not
// keep again what an earlier one keeps, as if each were recorded before the
// next was read. It sets each job's logged to the items the detection's
// source already kept.
func (s *Service) itemsInOrder(jobs []*job) map[*job][]evidence.Item {
	type key struct {
		sender  int64
		content string
	}
	first := map[key]map[string]bool{}
	out := map[*job][]evidence.Item{}
	for _, j := range jobs {
		if j.f == nil || j.err != nil {
			continue
		}
		k := key{j.f.d.SenderID, j.f.d.ContentKey}
		if p, ok := first[k]; ok {
			j.f.preserved = p
		} else {
			first[k] = j.f.preserved
		}
		out[j] = s.items(j.f)
		j.logged = keptItems(j.f)
	}
	return out
}

// recordAll records a chunk of jobs in one transaction, taking each out of
// the queue. When that fails recordTries times, it records them one by one,
// so that one detection that cannot be recorded holds up no other.
func (s *Service) recordAll(ctx context.Context, chunk []*job) {
	var todo []*job
	for _, j := range chunk {
		if j.err == nil {
			todo = append(todo, j)
		}
	}
	if len(todo) == 0 {
		return
	}
	var err error
	for range recordTries {
		if err = s.recordTx(ctx, todo); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err == nil || len(todo) == 1 {
		for _, j := range todo {
			j.err = err
		}
		return
	}
	for _, j := range todo {
		j.err = s.recordTx(ctx, []*job{j})
	}
}

// recordTx records jobs in one transaction.
func (s *Service) recordTx(ctx context.Context, jobs []*job) error {
	return updateTx(ctx, s.Store, func(tx Tx) error {
		for _, j := range jobs {
			j.out, j.seen = outcome{}, false
			if j.id != 0 {
				err := s.record(ctx, tx, j.f, &j.out)
				if errors.Is(err, errSeen) {
					j.seen = true
				} else if err != nil {
					return fmt.Errorf("detection %d: %w", j.id, err)
				}
			}
			if _, err := tx.DoneEvent(ctx, Consumer, j.ev.ID); err != nil {
				return err
			}
		}
		var items []evidence.CaseItems
		for _, j := range jobs {
			if j.id != 0 && !j.seen {
				items = append(items, evidence.CaseItems{CaseID: j.out.c.ID, Staged: j.logged})
			}
		}
		_, err := s.Vault.AppendCases(ctx, tx, items)
		return err
	})
}

package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
)

// How Process shares the work: it claims up to claimBatch queued detections
// for claimFor (another server takes them over if this one dies meanwhile)
// and splits them into lanes by sender. It prepares the batch: in each lane
// it reads what each case is made from (Config.Workers readers in all),
// then stores the items to preserve of the whole batch at once (one sync of
// the disk). Then it records the batch, recordChunk detections to a
// transaction in each lane, while it claims and prepares the next batch.
// The lanes' transactions run side by side except where they append to
// the evidence log, which is one chain: that comes last in each
// transaction, once for all its detections.
const (
	lanes       = 8
	claimBatch  = 400
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
	var recording chan batchResult // the batch being recorded, if any
	var last *batch
	wait := func() error {
		if recording == nil {
			return nil
		}
		r := <-recording
		recording = nil
		n += r.n
		return r.err
	}
	for {
		evs, err := s.claim(ctx)
		if err != nil || len(evs) == 0 {
			return n, errors.Join(err, wait())
		}
		b := s.prepareBatch(ctx, evs, last)
		if err := wait(); err != nil {
			b.giveUp(ctx, s)
			return n, err
		}
		recording, last = make(chan batchResult, 1), b
		go func() {
			k, err := s.recordBatch(ctx, b)
			recording <- batchResult{k, err}
		}()
	}
}

// claim claims the next detections queued for the service.
func (s *Service) claim(ctx context.Context) ([]safeguard.Event, error) {
	var evs []safeguard.Event
	now := time.Now() // claims are between servers: wall-clock time, not the service's clock
	err := updateTx(ctx, s.Store, func(tx Tx) (err error) {
		evs, err = tx.ClaimEvents(ctx, Consumer, now, now.Add(claimFor), claimBatch)
		return
	})
	return evs, err
}

// job is one claimed detection on its way to a case.
type job struct {
	ev     safeguard.Event
	id     int64 // the detection; 0 for an event without one
	f      *facts
	items  []evidence.Item // to preserve
	staged []evidence.Staged
	logged []evidence.Staged // staged, and the items kept by the detection's source
	out    outcome
	seen   bool // already in a case
	err    error
}

// batch is the claimed detections of one pass, in lanes: the detections of
// one sender always in the same lane, in queue order.
type batch struct {
	lanes [][]*job
	// preserved is, for each case (sender and content) of the batch, the
	// references of the items it preserves or had preserved: the next
	// batch, read while this one is recorded, keeps none of them again.
	preserved map[caseKey]map[string]bool
}

type caseKey struct {
	sender  int64
	content string
}

type batchResult struct {
	n   int
	err error
}

// prepareBatch reads what the cases of the claimed events are made from and
// stores the items to preserve, in one batch of the vault (a disk makes it
// durable with one sync for all). It runs while the batch before, prev, is
// being recorded: those of its items the cases of prev preserve are not
// kept again.
func (s *Service) prepareBatch(ctx context.Context, evs []safeguard.Event, prev *batch) *batch {
	b := &batch{lanes: make([][]*job, lanes), preserved: map[caseKey]map[string]bool{}}
	for _, ev := range evs {
		lane := int((uint64(ev.AccountID) * 0x9e3779b97f4a7c15 >> 32) % lanes) // IDs spread evenly, whatever their stride
		b.lanes[lane] = append(b.lanes[lane], &job{ev: ev})
	}
	firsts := make([]map[caseKey]map[string]bool, lanes)
	var wg sync.WaitGroup
	for i, jobs := range b.lanes {
		wg.Go(func() { firsts[i] = s.readLane(ctx, jobs, prev) })
	}
	wg.Wait()
	for _, first := range firsts {
		maps.Copy(b.preserved, first)
	}
	s.stage(ctx, b)
	return b
}

// recordBatch records the prepared batch, its lanes side by side, and releases
// the claim of the detections it could not handle.
func (s *Service) recordBatch(ctx context.Context, b *batch) (int, error) {
	var wg sync.WaitGroup
	for _, jobs := range b.lanes {
		wg.Go(func() {
			for start := 0; start < len(jobs); start += recordChunk {
				s.recordAll(ctx, jobs[start:min(start+recordChunk, len(jobs))])
			}
		})
	}
	wg.Wait()
	n := 0
	var errs []error
	var failed []int64
	for _, part := range b.lanes {
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
	if err := s.release(ctx, failed); err != nil {
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}

// giveUp drops a prepared batch that will not be recorded: its staged
// items are deleted and its claims released.
func (b *batch) giveUp(ctx context.Context, s *Service) {
	var ids []int64
	for _, part := range b.lanes {
		for _, j := range part {
			s.Vault.Discard(ctx, j.staged)
			ids = append(ids, j.ev.ID)
		}
	}
	if err := s.release(ctx, ids); err != nil {
		s.Log.WarnContext(ctx, "cases: could not release claimed detections", "error", err)
	}
}

// release gives claimed events back to the queue, even when ctx ended (the
// server stops), so that another server need not wait for the claim to run
// out.
func (s *Service) release(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	rctx := context.WithoutCancel(ctx)
	return updateTx(rctx, s.Store, func(tx Tx) error { return tx.ReleaseEvents(rctx, Consumer, ids) })
}

// readLane reads what the cases of one lane's jobs are made from, and what
// to preserve for each (itemsInOrder), and returns the references each
// case of the lane preserves.
func (s *Service) readLane(ctx context.Context, jobs []*job, prev *batch) map[caseKey]map[string]bool {
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
	return s.itemsInOrder(jobs, prev)
}

// stage stores the items of every job of the batch in one batch of the
// vault, which a disk makes durable with one sync for them all. If that
// fails, each of the jobs fails, to be tried again.
func (s *Service) stage(ctx context.Context, b *batch) {
	var jobs []*job
	var items []evidence.Item
	for _, lane := range b.lanes {
		for _, j := range lane {
			if j.f != nil && j.err == nil {
				jobs = append(jobs, j)
				items = append(items, j.items...)
			}
		}
	}
	staged, err := s.Vault.Stage(ctx, items)
	for _, j := range jobs {
		if err != nil {
			j.err = err
			continue
		}
		j.staged, staged = staged[:len(j.items):len(j.items)], staged[len(j.items):]
		j.logged = append(j.staged[:len(j.staged):len(j.staged)], j.logged...)
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

// itemsInOrder sets what to preserve for each job, in the order of the
// queue. The detections of one case in the batch (same sender, same
// content) share one set of preserved items, so that a later one does not
// keep again what an earlier one keeps, as if each were recorded before the
// next was read; the set starts with what the case's detections in the
// batch before, prev, keep. It sets each job's logged to the items the
// detection's source already kept, and returns each case's set.
func (s *Service) itemsInOrder(jobs []*job, prev *batch) map[caseKey]map[string]bool {
	first := map[caseKey]map[string]bool{}
	for _, j := range jobs {
		if j.f == nil || j.err != nil {
			continue
		}
		k := caseKey{j.f.d.SenderID, j.f.d.ContentKey}
		if p, ok := first[k]; ok {
			j.f.preserved = p
		} else {
			if prev != nil {
				maps.Copy(j.f.preserved, prev.preserved[k])
			}
			first[k] = j.f.preserved
		}
		j.items = s.items(j.f)
		j.logged = keptItems(j.f)
	}
	return first
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

package e2ee

import (
	"context"
	"time"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// Sweep deletes what is past retention: envelopes no device fetched in time
// (their inbox items, and the group envelopes kept with the messages),
// blobs with their bytes, and records of reported receipts whose report
// window has closed.
func (s *Service) Sweep(ctx context.Context) (store.E2EEPurge, error) {
	now := s.clock()
	var p store.E2EEPurge
	err := updateTx(ctx, s.store, func(tx Tx) (err error) {
		p, err = tx.PurgeE2EE(ctx, now.Add(-s.cfg.Retention), now)
		return err
	})
	if err != nil {
		return p, err
	}
	for _, key := range p.Blobs {
		if err := s.media.Delete(ctx, key); err != nil {
			s.log.WarnContext(ctx, "delete blob past retention", "err", err)
		}
	}
	return p, nil
}

// Run sweeps every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultSweepEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p, err := s.Sweep(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "e2ee retention sweep", "err", err)
		} else if p.Inbox+p.Envelopes+len(p.Blobs)+p.Reports > 0 {
			s.log.InfoContext(ctx, "e2ee retention sweep", "inbox", p.Inbox, "envelopes", p.Envelopes,
				"blobs", len(p.Blobs), "reports", p.Reports)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

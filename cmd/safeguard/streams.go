package main

import (
	"context"
	"time"

	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// Live event streams in the store.
const (
	// streamTTL is how long a stream counts after its server last renewed
	// it: the streams of a server that died stop counting this long after.
	streamTTL = 3 * web.StreamRenewEvery
	// streamKeep is how long a stream's row outlives its expiry, so that a
	// server that could not renew its streams for a while (the database
	// was out of its reach) counts them again when it can, rather than
	// ending them as if another server had.
	streamKeep = 10 * time.Minute
	// streamTimeout bounds one Open: a cap that cannot be read in time
	// refuses the stream, as unavailable.
	streamTimeout = 5 * time.Second
)

// storeStreams counts the live event streams of the servers of a cluster
// in the store they share: a row per open stream, with the server that
// holds it and an expiry that server moves on (web.StreamRegistry).
type storeStreams struct {
	st   store.Store
	node string
	now  func() time.Time
}

// Open implements web.StreamRegistry in one transaction.
func (s storeStreams) Open(ctx context.Context, account int64, address string,
	decide func(atAddress, ofAccount []web.OpenStream) ([]web.OpenStream, error)) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, streamTimeout)
	defer cancel()
	var id int64
	err := s.st.Update(ctx, func(tx store.Tx) error {
		now := s.now()
		atAddress, ofAccount, err := tx.OpenStreams(ctx, account, address, now)
		if err != nil {
			return err
		}
		end, err := decide(openStreams(atAddress), openStreams(ofAccount))
		if err != nil {
			return err
		}
		ids := make([]int64, len(end))
		for i, v := range end {
			ids[i] = v.ID
		}
		if err := tx.DeleteStreams(ctx, ids); err != nil {
			return err
		}
		row := &store.OpenStream{Node: s.node, AccountID: account, Address: address, OpenedAt: now, ExpiresAt: now.Add(streamTTL)}
		if err := tx.AddStream(ctx, row); err != nil {
			return err
		}
		id = row.ID
		return nil
	})
	return id, err
}

func openStreams(l []store.OpenStream) []web.OpenStream {
	out := make([]web.OpenStream, len(l))
	for i, st := range l {
		out[i] = web.OpenStream{ID: st.ID, Account: st.AccountID}
	}
	return out
}

// Close implements web.StreamRegistry.
func (s storeStreams) Close(ctx context.Context, id int64) error {
	return s.st.Update(ctx, func(tx store.Tx) error { return tx.DeleteStreams(ctx, []int64{id}) })
}

// Renew implements web.StreamRegistry, and forgets the streams of every
// server expired for longer than streamKeep.
func (s storeStreams) Renew(ctx context.Context, ids []int64) ([]int64, error) {
	var live []int64
	err := s.st.Update(ctx, func(tx store.Tx) error {
		now := s.now()
		var err error
		if live, err = tx.RenewStreams(ctx, ids, now.Add(streamTTL)); err != nil {
			return err
		}
		_, err = tx.PruneStreams(ctx, now.Add(-streamKeep))
		return err
	})
	return live, err
}

// Package natsblob is a blob.Store in a NATS JetStream object store, which
// every server of a cluster reaches: a file one server stores, another
// reads. Objects are named by their blob keys.
package natsblob

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
)

// Defaults of Config.
const (
	DefaultBucket  = "SAFEGUARD_BLOBS"
	DefaultTimeout = 30 * time.Second // one operation, when its context has no deadline
)

// Config names the bucket and how it is kept. Zero values take the
// defaults.
type Config struct {
	Bucket   string        // object store bucket
	Replicas int           // copies kept (1 unless NATS is clustered); 0: as the bucket is, or 1 for a new one
	Timeout  time.Duration // one operation, when its context has no deadline
	// Cluster is the Safeguard cluster's identity, kept in the bucket's
	// metadata (ClusterKey): a bucket of another cluster is refused.
	Cluster string
	// Existing opens the bucket only if it is there: an operator's command
	// pointed at a NATS that is not its cluster's finds none, and makes
	// none.
	Existing bool
}

// ClusterKey names the bucket's metadata that holds the identity of the
// Safeguard cluster whose it is.
const ClusterKey = "safeguard_cluster"

// Store is a blob.Store in a JetStream object store.
type Store struct {
	obs     jetstream.ObjectStore
	nc      *nats.Conn
	timeout time.Duration
}

var (
	_ blob.Store   = (*Store)(nil)
	_ blob.Batcher = (*Store)(nil)
)

// Open makes or updates the bucket (file storage) and returns the store
// over it. With Config.Replicas 0 it opens the bucket as it is, and makes
// it with one replica only if it is missing.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	obs, err := js.ObjectStore(ctx, cfg.Bucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound) && cfg.Existing:
		return nil, fmt.Errorf("there is no object store %s on this NATS (%s): is it the cluster's, as its servers are given with --nats?",
			cfg.Bucket, js.Conn().ConnectedUrlRedacted())
	case errors.Is(err, jetstream.ErrBucketNotFound):
	case err != nil:
		return nil, fmt.Errorf("object store %s: %w", cfg.Bucket, err)
	default:
		if err := sameCluster(ctx, obs, cfg); err != nil {
			return nil, err
		}
		if cfg.Replicas <= 0 { // an operator's command: the bucket as its servers made it
			if err := kept(ctx, obs, cfg, js); err != nil {
				return nil, err
			}
			return &Store{obs: obs, nc: js.Conn(), timeout: cfg.Timeout}, nil
		}
	}
	var meta map[string]string
	if cfg.Cluster != "" {
		meta = map[string]string{ClusterKey: cfg.Cluster}
	}
	obs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: cfg.Bucket,
		Description: "Safeguard files: media, end-to-end encrypted attachments, evidence items, report packages",
		Storage:     jetstream.FileStorage, Replicas: max(cfg.Replicas, 1), Metadata: meta})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", cfg.Bucket, err)
	}
	if err := kept(ctx, obs, cfg, js); err != nil {
		return nil, err
	}
	return &Store{obs: obs, nc: js.Conn(), timeout: cfg.Timeout}, nil
}

// Cluster returns the identity of the Safeguard cluster the bucket was
// made for, "" if it names none (made by one server alone, or kept by a
// NATS before 2.10, which drops metadata).
func (s *Store) Cluster(ctx context.Context) (string, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	st, err := s.obs.Status(ctx)
	if err != nil {
		return "", unavailable("status", "", err)
	}
	return st.Metadata()[ClusterKey], nil
}

// kept refuses a bucket that does not name its cluster after it was made
// or updated: a NATS before 2.10 drops the metadata, and then another
// cluster would not be refused.
func kept(ctx context.Context, obs jetstream.ObjectStore, cfg Config, js jetstream.JetStream) error {
	if cfg.Cluster == "" {
		return nil
	}
	st, err := obs.Status(ctx)
	if err != nil {
		return fmt.Errorf("object store %s: %w", cfg.Bucket, err)
	}
	if st.Metadata()[ClusterKey] != cfg.Cluster {
		return fmt.Errorf("object store %s: the NATS server (%s) did not keep the bucket's metadata, which names the Safeguard cluster whose it is, "+
			"so another cluster on this NATS would not be refused and would read this one's files: use NATS 2.10 or later",
			cfg.Bucket, js.Conn().ConnectedServerVersion())
	}
	return nil
}

// sameCluster refuses a bucket that another Safeguard cluster made: its
// files are not this cluster's, and its keys would be.
func sameCluster(ctx context.Context, obs jetstream.ObjectStore, cfg Config) error {
	if cfg.Cluster == "" {
		return nil
	}
	st, err := obs.Status(ctx)
	if err != nil {
		return fmt.Errorf("object store %s: %w", cfg.Bucket, err)
	}
	if other := st.Metadata()[ClusterKey]; other != "" && other != cfg.Cluster {
		return fmt.Errorf("object store %s belongs to another Safeguard cluster (%s; this one is %s): give each cluster a NATS of its own",
			cfg.Bucket, other, cfg.Cluster)
	}
	return nil
}

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.timeout)
}

// unavailable wraps an error of NATS: the store could not be reached or
// did not answer, which may pass.
func unavailable(op, key string, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s %s: %w", op, key, err)
	}
	return &safeguard.Error{Kind: safeguard.ErrUnavailable, Code: "unavailable",
		Message: "The file store is not available. Please try again.", Err: fmt.Errorf("%s %s: %w", op, key, err)}
}

// ReconnectWait is how long an operation waits for a lost connection to
// NATS to come back before it is answered unavailable: a NATS restarting
// is not seen, one that is down costs a request this, not the timeout.
const ReconnectWait = 2 * time.Second

// reachable waits, up to ReconnectWait, while the connection to NATS is
// down (reconnecting), and answers unavailable if it stays down.
func (s *Store) reachable(ctx context.Context, op, key string) error {
	if s.nc == nil || s.nc.IsConnected() {
		return nil
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(ReconnectWait)
	for !s.nc.IsConnected() {
		if s.nc.IsClosed() || time.Now().After(deadline) {
			return unavailable(op, key, fmt.Errorf("not connected to NATS (%s)", s.nc.Status()))
		}
		select {
		case <-ctx.Done():
			return unavailable(op, key, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	if err := blob.CheckKey(key); err != nil {
		return err
	}
	if err := s.reachable(ctx, "put", key); err != nil {
		return err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.obs.PutBytes(ctx, key, data); err != nil {
		return unavailable("put", key, err)
	}
	return nil
}

// senders is how many objects PutAll sends at once.
const senders = 64

// PutAll implements blob.Batcher: it sends the objects side by side, each
// waiting for its own acknowledgement, and deletes those stored if one
// fails.
func (s *Store) PutAll(ctx context.Context, keys []string, data [][]byte) error {
	if len(keys) != len(data) {
		return fmt.Errorf("natsblob: %d keys for %d values", len(keys), len(data))
	}
	for _, k := range keys {
		if err := blob.CheckKey(k); err != nil {
			return err
		}
	}
	errs := make([]error, len(keys))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(senders, len(keys)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = s.Put(ctx, keys[i], data[i])
			}
		})
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	err := errors.Join(errs...)
	if err != nil {
		dctx := context.WithoutCancel(ctx)
		for i, k := range keys {
			if errs[i] == nil {
				s.Delete(dctx, k)
			}
		}
	}
	return err
}

// Get implements blob.Store. The object store checks the bytes against the
// digest it stored with them.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := blob.CheckKey(key); err != nil {
		return nil, err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.reachable(ctx, "get", key); err != nil {
		return nil, err
	}
	b, err := s.obs.GetBytes(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, safeguard.NotFound
	}
	if err != nil {
		return nil, unavailable("get", key, err)
	}
	return b, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.CheckKey(key); err != nil {
		return blob.Info{}, err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.reachable(ctx, "stat", key); err != nil {
		return blob.Info{}, err
	}
	in, err := s.obs.GetInfo(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return blob.Info{}, safeguard.NotFound
	}
	if err != nil {
		return blob.Info{}, unavailable("stat", key, err)
	}
	return blob.Info{Key: key, Size: int64(in.Size), ModTime: in.ModTime}, nil
}

// Delete implements blob.Store. Deleting a key already deleted, or never
// stored, is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.CheckKey(key); err != nil {
		return err
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.reachable(ctx, "delete", key); err != nil {
		return err
	}
	err := s.obs.Delete(ctx, key)
	if err == nil || errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil
	}
	return unavailable("delete", key, err)
}

// List implements blob.Store. The object store lists every object, so a
// list costs the size of the bucket's metadata whatever the prefix.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.reachable(ctx, "list", prefix); err != nil {
		return nil, err
	}
	objs, err := s.obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("list", prefix, err)
	}
	var keys []string
	for _, o := range objs {
		if !o.Deleted && strings.HasPrefix(o.Name, prefix) {
			keys = append(keys, o.Name)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

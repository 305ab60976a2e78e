package ncmec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
)

// Phase is where a filing stands.
type Phase string

// The phases. A filing is Open from the moment NCMEC gives a report id until
// it is Finished (filed) or Retracted (withdrawn, to be filed afresh).
const (
	Open      Phase = "open"
	Finished  Phase = "finished"
	Retracted Phase = "retracted"
)

// State is what Submitter remembers of the filing of one reference: enough
// to tell, on a retry, whether a report was opened and must be resolved
// before anything is filed again.
type State struct {
	Reference  string         `json:"reference"`
	ReportID   int64          `json:"report_id"`
	Phase      Phase          `json:"phase"`
	FileIDs    map[int]string `json:"file_ids,omitempty"` // content index → NCMEC file id
	Described  map[int]bool   `json:"described,omitempty"`
	Test       bool           `json:"test"`
	OpenedAt   time.Time      `json:"opened_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	FinishedAt time.Time      `json:"finished_at,omitzero"`
}

// StateStore keeps filing states by reference. Save must be durable when it
// returns: the state is what prevents a second filing after a crash.
type StateStore interface {
	// Load returns the state of ref; ok is false if there is none.
	Load(ctx context.Context, ref string) (st State, ok bool, err error)
	Save(ctx context.Context, st State) error
}

// MemoryStore is a StateStore in memory, for tests and single runs.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]State
}

// Load implements StateStore.
func (s *MemoryStore) Load(_ context.Context, ref string) (State, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[ref]
	return clone(st), ok, nil
}

// Save implements StateStore.
func (s *MemoryStore) Save(_ context.Context, st State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]State{}
	}
	s.m[st.Reference] = clone(st)
	return nil
}

func clone(st State) State {
	st.FileIDs = maps.Clone(st.FileIDs)
	st.Described = maps.Clone(st.Described)
	return st
}

// DirStore is a StateStore of JSON files, one per reference, in Dir. Each is
// written to a temporary file, synced and renamed into place.
type DirStore struct {
	Dir string
}

func (s *DirStore) path(ref string) string { return filepath.Join(s.Dir, ref+".ncmec.json") }

// Load implements StateStore.
func (s *DirStore) Load(_ context.Context, ref string) (State, bool, error) {
	b, err := os.ReadFile(s.path(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, false, fmt.Errorf("ncmec state %s: %w", ref, err)
	}
	return st, true, nil
}

// Save implements StateStore.
func (s *DirStore) Save(_ context.Context, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.Dir, ".tmp-"+st.Reference+"-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), s.path(st.Reference)); err != nil {
		return err
	}
	d, err := os.Open(s.Dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// FileStore is a StateStore in a blob store, for the servers of a cluster:
// one JSON file per reference, <reference>.ncmec.json, as DirStore names
// them.
type FileStore struct {
	Files blob.Store
}

// Load implements StateStore.
func (s *FileStore) Load(ctx context.Context, ref string) (State, bool, error) {
	b, err := s.Files.Get(ctx, ref+".ncmec.json")
	if errors.Is(err, safeguard.ErrNotFound) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, false, fmt.Errorf("ncmec state %s: %w", ref, err)
	}
	return st, true, nil
}

// Save implements StateStore.
func (s *FileStore) Save(ctx context.Context, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return s.Files.Put(ctx, st.Reference+".ncmec.json", b)
}

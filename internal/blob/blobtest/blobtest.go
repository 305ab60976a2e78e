// Package blobtest is the conformance suite of blob.Store: every driver
// runs it, so that what a caller may rely on is the same on each.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
)

// Run runs the suite against stores made by open, a new empty one for each
// subtest.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutGet", putGet},
		{"Replace", replace},
		{"Missing", missing},
		{"Delete", deleteTwice},
		{"Stat", stat},
		{"List", list},
		{"InvalidKeys", invalidKeys},
		{"Large", large},
		{"Concurrent", concurrent},
		{"Sub", subStore},
		{"PutAll", putAll},
		{"PutAllInvalid", putAllInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func mustPut(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s blob.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes %q…, want %d bytes %q…", key, len(got), head(got), len(want), head(want))
	}
}

func head(b []byte) []byte { return b[:min(len(b), 16)] }

func putGet(t *testing.T, s blob.Store) {
	mustPut(t, s, "ab/abcdef", []byte("first file"))
	mustPut(t, s, "top", []byte("at the top"))
	mustPut(t, s, "REF-1/media/01-image.jpg", []byte{0, 1, 2, 0xff})
	mustGet(t, s, "ab/abcdef", []byte("first file"))
	mustGet(t, s, "top", []byte("at the top"))
	mustGet(t, s, "REF-1/media/01-image.jpg", []byte{0, 1, 2, 0xff})
	// Empty bytes are bytes too.
	mustPut(t, s, "empty", nil)
	mustGet(t, s, "empty", nil)
}

func replace(t *testing.T, s blob.Store) {
	mustPut(t, s, "k", []byte("old bytes, longer than the new"))
	mustPut(t, s, "k", []byte("new"))
	mustGet(t, s, "k", []byte("new"))
}

func missing(t *testing.T, s blob.Store) {
	mustPut(t, s, "ab/present", []byte("x"))
	for _, key := range []string{"absent", "ab/absent", "ab", "ab/present/below", "zz/zz/zz"} {
		if _, err := s.Get(t.Context(), key); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", key, err)
		}
		if _, err := s.Stat(t.Context(), key); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("Stat(%q) = %v, want ErrNotFound", key, err)
		}
	}
}

func deleteTwice(t *testing.T, s blob.Store) {
	ctx := t.Context()
	mustPut(t, s, "ab/gone", []byte("to delete"))
	mustPut(t, s, "ab/kept", []byte("to keep"))
	for range 2 {
		if err := s.Delete(ctx, "ab/gone"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if err := s.Delete(ctx, "never/there"); err != nil {
		t.Fatalf("Delete of a key never stored: %v", err)
	}
	if _, err := s.Get(ctx, "ab/gone"); !errors.Is(err, safeguard.ErrNotFound) {
		t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
	}
	mustGet(t, s, "ab/kept", []byte("to keep"))
	// A deleted key can be stored again.
	mustPut(t, s, "ab/gone", []byte("back"))
	mustGet(t, s, "ab/gone", []byte("back"))
}

func stat(t *testing.T, s blob.Store) {
	mustPut(t, s, "d/seven", []byte("7 bytes"))
	in, err := s.Stat(t.Context(), "d/seven")
	if err != nil {
		t.Fatal(err)
	}
	if in.Key != "d/seven" || in.Size != 7 {
		t.Fatalf("Stat = %+v, want key d/seven, size 7", in)
	}
}

func list(t *testing.T, s blob.Store) {
	ctx := t.Context()
	keys := []string{"r/A-1/receipt.json", "r/A-1/media/01.jpg", "r/A-10/x", "r/B/y", "s/z", "top"}
	for _, k := range keys {
		mustPut(t, s, k, []byte(k))
	}
	if err := s.Delete(ctx, "r/B/y"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", []string{"r/A-1/media/01.jpg", "r/A-1/receipt.json", "r/A-10/x", "s/z", "top"}},
		{"r/", []string{"r/A-1/media/01.jpg", "r/A-1/receipt.json", "r/A-10/x"}},
		{"r/A-1/", []string{"r/A-1/media/01.jpg", "r/A-1/receipt.json"}},
		{"r/A-1", []string{"r/A-1/media/01.jpg", "r/A-1/receipt.json", "r/A-10/x"}},
		{"r/B/", nil},
		{"nothing/", nil},
	} {
		got, err := s.List(ctx, tc.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tc.prefix, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

func invalidKeys(t *testing.T, s blob.Store) {
	ctx := t.Context()
	for _, key := range []string{"", "/abs", "a//b", "a/", "../up", "a/../b", ".hidden", "a/.tmp-1", "sp ace", "back\\slash", "é"} {
		if err := s.Put(ctx, key, []byte("x")); !errors.Is(err, safeguard.ErrInvalid) {
			t.Errorf("Put(%q) = %v, want ErrInvalid", key, err)
		}
		if _, err := s.Get(ctx, key); !errors.Is(err, safeguard.ErrInvalid) {
			t.Errorf("Get(%q) = %v, want ErrInvalid", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, safeguard.ErrInvalid) {
			t.Errorf("Delete(%q) = %v, want ErrInvalid", key, err)
		}
	}
	if got, err := s.List(ctx, ""); err != nil || len(got) != 0 {
		t.Errorf("after invalid puts, List = %q, %v; want nothing", got, err)
	}
}

// large stores bytes bigger than a NATS message and a JetStream chunk.
func large(t *testing.T, s blob.Store) {
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	mustPut(t, s, "big/one", data)
	mustGet(t, s, "big/one", data)
	if in, err := s.Stat(t.Context(), "big/one"); err != nil || in.Size != int64(len(data)) {
		t.Fatalf("Stat = %+v, %v; want size %d", in, err, len(data))
	}
}

// concurrent puts, gets and deletes distinct keys from several goroutines
// (run under -race).
func concurrent(t *testing.T, s blob.Store) {
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				key := fmt.Sprintf("c%d/%d", g, i)
				want := []byte(key + " bytes")
				if err := s.Put(ctx, key, want); err != nil {
					errs <- err
					return
				}
				got, err := s.Get(ctx, key)
				if err != nil || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("Get(%q) = %q, %v", key, got, err)
					return
				}
				if i%2 == 0 {
					if err := s.Delete(ctx, key); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	keys, err := s.List(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 8*2 {
		t.Errorf("List after concurrent work: %d keys, want 16: %q", len(keys), keys)
	}
}

func subStore(t *testing.T, s blob.Store) {
	ctx := context.WithoutCancel(t.Context())
	media, evidence := blob.Sub(s, "media/"), blob.Sub(s, "evidence/")
	mustPut(t, media, "ab/one", []byte("a medium"))
	mustPut(t, evidence, "ab/one", []byte("an item"))
	mustGet(t, media, "ab/one", []byte("a medium"))
	mustGet(t, evidence, "ab/one", []byte("an item"))
	mustGet(t, s, "media/ab/one", []byte("a medium"))
	keys, err := media.List(ctx, "")
	if err != nil || !slices.Equal(keys, []string{"ab/one"}) {
		t.Fatalf("media.List = %q, %v; want [ab/one]", keys, err)
	}
	if in, err := evidence.Stat(ctx, "ab/one"); err != nil || in.Key != "ab/one" || in.Size != 7 {
		t.Fatalf("evidence.Stat = %+v, %v", in, err)
	}
	if err := media.Delete(ctx, "ab/one"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, evidence, "ab/one", []byte("an item"))
	if _, err := media.Get(ctx, "../evidence/ab/one"); !errors.Is(err, safeguard.ErrInvalid) {
		t.Fatalf("a key out of its prefix: %v, want ErrInvalid", err)
	}
}

// batch makes n values under keys "b/<prefix><i>", each with its own bytes.
func batch(prefix string, n int) ([]string, [][]byte) {
	keys := make([]string, n)
	data := make([][]byte, n)
	for i := range n {
		keys[i] = fmt.Sprintf("b%d/%s%03d", i%3, prefix, i)
		data[i] = bytes.Repeat([]byte{byte(i)}, 100+i)
	}
	return keys, data
}

// putAll: a batch, small or large, straight or through a Sub, stores each
// value under its key.
func putAll(t *testing.T, s blob.Store) {
	for _, n := range []int{0, 1, 3, 40} {
		for _, sub := range []bool{false, true} {
			st, prefix := s, fmt.Sprintf("n%d-", n)
			if sub {
				st, prefix = blob.Sub(s, "evidence/"), prefix+"sub-"
			}
			keys, data := batch(prefix, n)
			if err := blob.PutAll(t.Context(), st, keys, data); err != nil {
				t.Fatalf("PutAll of %d (sub %v): %v", n, sub, err)
			}
			for i, k := range keys {
				mustGet(t, st, k, data[i])
			}
		}
	}
	keys, err := s.List(t.Context(), "evidence/")
	if err != nil || len(keys) != 44 {
		t.Fatalf("List(evidence/) after batches: %d keys, %v; want 44", len(keys), err)
	}
}

// putAllInvalid: a batch with an invalid key, or with more keys than
// values, stores nothing.
func putAllInvalid(t *testing.T, s blob.Store) {
	keys, data := batch("bad", 10)
	keys[7] = "../escape"
	if err := blob.PutAll(t.Context(), s, keys, data); !errors.Is(err, safeguard.ErrInvalid) {
		t.Fatalf("PutAll with an invalid key: %v, want ErrInvalid", err)
	}
	keys, data = batch("short", 10)
	if err := blob.PutAll(t.Context(), s, keys, data[:9]); err == nil {
		t.Fatal("PutAll of 10 keys and 9 values succeeded")
	}
	if got, err := s.List(t.Context(), ""); err != nil || len(got) != 0 {
		t.Fatalf("after refused batches the store holds %q, %v; want nothing", got, err)
	}
}

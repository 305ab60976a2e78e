package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusIsReproducible regenerates the corpus and compares it with the
// committed files: the corpus is exactly what this generator makes.
func TestCorpusIsReproducible(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"train.jsonl", "heldout.jsonl"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output; run go run ./internal/risk/corpusgen", name)
		}
	}
}

// TestHeldoutPhrasesAreNew checks that no held-out line of a scenario both
// splits share reuses a training paraphrase.
func TestHeldoutPhrasesAreNew(t *testing.T) {
	for _, s := range scenarios() {
		if !s.banks[trainBank] {
			continue
		}
		train := map[string]bool{}
		for _, l := range s.lines {
			for _, p := range l.say[trainBank] {
				train[p] = true
			}
		}
		for _, l := range s.lines {
			if l.image {
				continue
			}
			for _, p := range l.say[heldoutBank] {
				if train[p] && strings.TrimSpace(p) != "" {
					t.Errorf("scenario %s: held-out phrase %q is also a training phrase", s.name, p)
				}
			}
		}
	}
}

package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/safeguard-dev/safeguard/client/secure"
)

// canary is a text that appears in the plaintext of every message of the
// canary test, and nowhere the server keeps anything.
const canary = "CANARY-b7e1-purple-giraffe-0442"

// leaks returns where in b the canary shows, as plain bytes, base64 or hex.
func leaks(b []byte) bool {
	for _, form := range [][]byte{
		[]byte(canary),
		[]byte(base64.StdEncoding.EncodeToString([]byte(canary))[:24]),
		[]byte(base64.RawURLEncoding.EncodeToString([]byte(canary))[:24]),
		[]byte(hex.EncodeToString([]byte(canary))),
	} {
		if bytes.Contains(b, form) {
			return true
		}
	}
	return false
}

// TestE2EECanary: after two adults (two devices each) and a group of three
// exchange texts, captions and images that carry a canary, no column of any
// table, no media or blob file, no log line and no sealed device state holds
// it — while the envelopes wait on the server and after they are fetched.
func TestE2EECanary(t *testing.T) {
	if !leaks([]byte("x"+canary+"y")) || leaks([]byte("nothing here")) {
		t.Fatal("the leak check does not work")
	}
	eachE2EE(t, func(t *testing.T, s *e2eeStack) {
		ctx := t.Context()
		alice, bob, carol := s.adult("alice", 2), s.adult("bob", 2), s.adult("carol", 1)
		s.contacts(alice, bob, carol)
		direct := s.group(alice, "", bob)
		trio := s.group(alice, "Trio", bob, carol)
		img := syntheticPNG(t, 3, canary)

		if _, err := alice.devs[0].Send(ctx, direct.ID, "the word is "+canary); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.devs[1].SendImage(ctx, direct.ID, "image/png", img, "caption "+canary); err != nil {
			t.Fatal(err)
		}
		if _, err := carol.devs[0].Send(ctx, trio.ID, canary+" in the group"); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.devs[1].SendImage(ctx, trio.ID, "image/png", img, ""); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			cells := s.dump(t)
			if len(cells) < 50 {
				t.Fatalf("%s: only %d values dumped", when, len(cells))
			}
			envelopes := 0
			for _, c := range cells {
				if leaks(c.value) {
					t.Errorf("%s: the canary is in %s.%s", when, c.table, c.column)
				}
				if c.table == "messages" && c.column == "envelope" {
					envelopes++
				}
			}
			if when == "before delivery" && envelopes != 4 {
				t.Errorf("%s: %d envelopes stored, want 4", when, envelopes)
			}
			files := 0
			filepath.WalkDir(s.mediaDir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				files++
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if leaks(b) {
					t.Errorf("%s: the canary is in media file %s", when, path)
				}
				return nil
			})
			if files != 2 {
				t.Errorf("%s: %d media files, want the 2 blobs", when, files)
			}
			logs := s.logs.Bytes()
			if len(logs) == 0 || !bytes.Contains(logs, []byte(`"route"`)) {
				t.Fatalf("%s: no request was logged; the log check would see nothing", when)
			}
			if leaks(logs) {
				t.Errorf("%s: the canary is in the logs", when)
			}
		}
		check("before delivery")

		all := []*secure.Session{alice.devs[0], alice.devs[1], bob.devs[0], bob.devs[1], carol.devs[0]}
		seen := 0
		for _, d := range all {
			for _, m := range received(t, d) {
				if bytes.Contains([]byte(m.Text), []byte(canary)) {
					seen++
				}
				for i := range m.Attachments {
					b, err := d.Image(ctx, m, i)
					if err != nil || !bytes.Equal(b, img) {
						t.Errorf("%s: image %v", d.Device(), err)
					}
					seen++
				}
			}
		}
		// A text to 3 devices, a captioned image to 3 (twice each), a text
		// to 4 and an image to 4.
		if seen != 3+3*2+4+4 {
			t.Errorf("the canary was read %d times, want 17: the exchange did not happen", seen)
		}
		check("after delivery")

		for _, p := range []*person{alice, bob, carol} {
			for _, dir := range p.dirs {
				b, err := os.ReadFile(filepath.Join(dir, secure.StateFile))
				if err != nil {
					t.Fatal(err)
				}
				if leaks(b) {
					t.Errorf("the canary is in the sealed state of a device of %s", p.handle)
				}
			}
		}
	})
}

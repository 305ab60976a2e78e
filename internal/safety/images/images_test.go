package images

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/safety/banks"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/pdq"
)

// TestImageMatches: copies of a known image — the file itself, re-encoded
// as JPEG quality 40 at 60% of its size, rotated, mirrored — are held with a
// hash_match detection, toward a teen and between adults alike; a different
// image is delivered. The sender's answer is the same either way.
func TestImageMatches(t *testing.T) {
	eachImgStore(t, func(t *testing.T, st store.Store, _ func(*testing.T) store.Store) {
		r := newImgRig(t, st, Config{})
		known := hashbanktest.PNG(imgKnown)
		r.add(r.banks, "known", false, itemOf(t, "K-1", known))
		r.load()
		tests := []struct {
			name      string
			data      []byte
			kind      string
			transform string
			maxDist   float64
		}{
			{"the file itself", known, "sha256", "", 0},
			{"JPEG quality 40 at 60%", hashbanktest.JPEG(hashbanktest.Scale(imgKnown, 0.6), 40), "pdq", "orig", 31},
			{"rotated a quarter turn", hashbanktest.PNG(hashbanktest.Rotate90(imgKnown)), "pdq", "rot90", 31},
			{"mirrored", hashbanktest.JPEG(hashbanktest.Mirror(imgKnown), 80), "pdq", "flipy", 31},
		}
		for _, tt := range tests {
			for _, conv := range []int64{r.withTeen, r.withAdult} {
				s := r.send(conv, tt.data, "image/jpeg")
				if s.err != nil {
					t.Fatalf("%s: %v", tt.name, s.err)
				}
				if s.m.Status != safeguard.Held || s.delivered {
					t.Errorf("%s: status %s, delivered %v", tt.name, s.m.Status, s.delivered)
				}
				if len(s.dets) != 1 {
					t.Fatalf("%s: detections %+v", tt.name, s.dets)
				}
				d := s.dets[0]
				det := detail(t, d)
				if d.Source != safeguard.HashMatch || d.Category != "csam_known" || d.Severity != "critical" || !d.Held ||
					!strings.HasPrefix(d.ContentKey, "bank_entry:") || det["bank"] != "known" || det["entry"] != "K-1" ||
					det["kind"] != tt.kind || det["transform"] != nil && det["transform"] != tt.transform ||
					det["distance"].(float64) > tt.maxDist || det["pdq_quality"].(float64) < 50 {
					t.Errorf("%s: detection %+v, detail %s", tt.name, d, d.Detail)
				}
				if tt.kind == "pdq" && det["transform"] != tt.transform {
					t.Errorf("%s: transform %v, want %s", tt.name, det["transform"], tt.transform)
				}
				if len(d.Members) != 2 || len(d.RecipientIDs) != 1 || d.MediaID != s.m.MediaID {
					t.Errorf("%s: members %+v recipients %v", tt.name, d.Members, d.RecipientIDs)
				}
				if s.hashes == nil || s.hashes.Generation != 1 || len(s.hashes.Dihedral) != 256 {
					t.Errorf("%s: media hashes %+v", tt.name, s.hashes)
				}
			}
		}
		other := r.send(r.withTeen, hashbanktest.JPEG(imgOK, 90), "image/jpeg")
		if other.err != nil || other.m.Status != safeguard.Delivered || !other.delivered || len(other.dets) != 0 {
			t.Errorf("a different image: %+v", other)
		}
		if other.hashes == nil || other.hashes.Generation != 1 || other.hashes.Quality < 50 {
			t.Errorf("a delivered image's hashes are kept: %+v", other.hashes)
		}
	})
}

// TestImageSingleHash: without the dihedral hashes, a rotated copy is not
// found (which is why they are on by default).
func TestImageSingleHash(t *testing.T) {
	_, open := imgStores(t)["sqlite"](t)
	r := newImgRig(t, open(t), Config{SingleHash: true})
	r.add(r.banks, "known", false, itemOf(t, "K-1", hashbanktest.PNG(imgKnown)))
	r.load()
	if s := r.send(r.withTeen, hashbanktest.PNG(hashbanktest.Rotate90(imgKnown)), "image/png"); !s.delivered || s.hashes.Dihedral != nil {
		t.Errorf("rotated copy with single hashes: %+v", s)
	}
	if s := r.send(r.withTeen, hashbanktest.JPEG(imgKnown, 60), "image/jpeg"); s.delivered {
		t.Errorf("a re-encoded copy was delivered: %+v", s)
	}
}

// TestImageNegativeBank: an image whose hash is in a negative bank (a
// known false positive) is delivered even though a positive bank has it; a
// disabled negative bank suppresses nothing.
func TestImageNegativeBank(t *testing.T) {
	eachImgStore(t, func(t *testing.T, st store.Store, _ func(*testing.T) store.Store) {
		r := newImgRig(t, st, Config{})
		fp := hashbanktest.PNG(imgOK)
		r.add(r.banks, "known", false, itemOf(t, "looks-like", fp))
		r.add(r.banks, "false-positives", true, itemOf(t, "FP-1", fp))
		r.load()
		res, err := r.img.Match(t.Context(), hashbanktest.JPEG(imgOK, 70))
		if err != nil || len(res.Matches) != 0 || len(res.Suppressed) != 1 || len(res.Negative) != 1 || res.Negative[0].Bank != "false-positives" {
			t.Fatalf("match of a known false positive: %+v %v", res, err)
		}
		if s := r.send(r.withTeen, hashbanktest.JPEG(imgOK, 70), "image/jpeg"); !s.delivered || len(s.dets) != 0 {
			t.Errorf("a suppressed match was not delivered: %+v", s)
		}
		if _, err := r.banks.SetEnabled(t.Context(), "false-positives", false, "tester"); err != nil {
			t.Fatal(err)
		}
		if s := r.send(r.withTeen, hashbanktest.JPEG(imgOK, 70), "image/jpeg"); s.delivered || len(s.dets) != 1 {
			t.Errorf("with the negative bank disabled: %+v", s)
		}
		if _, err := r.banks.Add(t.Context(), banks.Spec{Bank: "known", Negative: true}, []banks.Item{itemOf(t, "x", fp)}); safeguard.ErrorCode(err) != "bank_not_negative" {
			t.Errorf("a positive bank made negative: %v", err)
		}
	})
}

// TestImageFailClosed: toward a minor, an image that cannot be checked is
// held with a scan_failed detection naming why; between adults a file that
// is not an image is refused and a low-quality image delivered.
func TestImageFailClosed(t *testing.T) {
	eachImgStore(t, func(t *testing.T, st store.Store, _ func(*testing.T) store.Store) {
		r := newImgRig(t, st, Config{})
		r.add(r.banks, "known", false, itemOf(t, "K-1", hashbanktest.PNG(imgKnown)))
		r.load()
		tests := []struct {
			name   string
			data   []byte
			ctype  string
			reason string // toward the teen
			adult  string // error code between adults; "" delivered
		}{
			{"truncated JPEG", hashbanktest.TruncatedJPEG(), "image/jpeg", imaging.CodeCorrupt, imaging.CodeCorrupt},
			{"PNG declaring 100000×100000", hashbanktest.HugePNG(100000, 100000), "image/png", imaging.CodeTooLarge, imaging.CodeTooLarge},
			{"a text file sent as JPEG", []byte("just some text, named photo.jpg\n"), "image/jpeg", imaging.CodeUnsupported, imaging.CodeUnsupported},
			{"a flat image (PDQ quality 0)", hashbanktest.PNG(hashbanktest.Flat(300, 200)), "image/png", "low_quality", ""},
		}
		for _, tt := range tests {
			s := r.send(r.withTeen, tt.data, tt.ctype)
			if s.err != nil || s.delivered || s.m.Status != safeguard.Held || len(s.dets) != 1 {
				t.Fatalf("%s toward a teen: %+v", tt.name, s)
			}
			d := s.dets[0]
			if d.Source != safeguard.ScanFailure || !d.Held || detail(t, d)["reason"] != tt.reason || s.hashes == nil {
				t.Errorf("%s toward a teen: detection %+v %s, hashes %+v", tt.name, d, d.Detail, s.hashes)
			}
			a := r.send(r.withAdult, tt.data, tt.ctype)
			switch {
			case tt.adult == "" && (a.err != nil || !a.delivered || len(a.dets) != 0):
				t.Errorf("%s between adults: %+v", tt.name, a)
			case tt.adult != "" && (safeguard.ErrorCode(a.err) != tt.adult || !errors.Is(a.err, safeguard.ErrInvalid)):
				t.Errorf("%s between adults: error %v, want %s", tt.name, a.err, tt.adult)
			}
		}
		// The exact digests are matched even when the file is not an image.
		junk := []byte("not an image at all, but listed")
		h := Hash(junk, imaging.Limits{}, true)
		r.add(r.banks, "known", false, banks.Item{ExternalID: "md5-only", Quality: -1, Hashes: hashbank.Hashes{Kinds: hashbank.KindMD5, MD5: h.MD5}})
		for _, conv := range []int64{r.withTeen, r.withAdult} {
			s := r.send(conv, junk, "image/png")
			if s.err != nil || s.delivered || len(s.dets) != 1 || s.dets[0].Source != safeguard.HashMatch || detail(t, s.dets[0])["kind"] != "md5" {
				t.Errorf("a listed non-image: %+v", s)
			}
		}
	})
}

// TestImageIndexUnavailable: until the index is loaded, an image toward a
// minor is held (index_unavailable) and an adult's is delivered, its media
// hashes at generation 0 so that a later pass checks it against every
// entry.
func TestImageIndexUnavailable(t *testing.T) {
	_, open := imgStores(t)["sqlite"](t)
	r := newImgRig(t, open(t), Config{IndexWait: time.Millisecond})
	r.add(r.banks, "known", false, itemOf(t, "K-1", hashbanktest.PNG(imgKnown)))
	s := r.send(r.withTeen, hashbanktest.PNG(imgOK), "image/png")
	if s.delivered || len(s.dets) != 1 || detail(t, s.dets[0])["reason"] != "index_unavailable" || s.hashes.Generation != 0 {
		t.Fatalf("toward a teen with no index: %+v", s)
	}
	a := r.send(r.withAdult, hashbanktest.JPEG(imgKnown, 75), "image/jpeg")
	if !a.delivered || len(a.dets) != 0 || a.hashes.Generation != 0 {
		t.Fatalf("between adults with no index: %+v", a)
	}
	if _, err := r.img.Retro(t.Context()); err == nil {
		t.Error("a retroactive pass ran without an index")
	}
	r.load()
	res, err := r.img.Retro(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 2 || res.Detections != 1 {
		t.Errorf("catch-up pass: %+v", res)
	}
	ds := r.detections(a.m.ID)
	if len(ds) != 1 || ds[0].Held || ds[0].Source != safeguard.HashMatch || detail(t, ds[0])["retroactive"] != true {
		t.Errorf("the adult's image, checked once the index was back: %+v", ds)
	}
}

// TestImageSeesOtherProcess: a change another process makes to the banks —
// through its own store handle — is seen by the very next match, with no
// timer: additions, removals, disabling, a replacing import.
func TestImageSeesOtherProcess(t *testing.T) {
	eachImgStore(t, func(t *testing.T, st store.Store, reopen func(*testing.T) store.Store) {
		r := newImgRig(t, st, Config{})
		r.load()
		cli := newBanks(t, banks.Deps{Store: reopen(t)})
		ctx := t.Context()
		img := hashbanktest.JPEG(imgKnown, 85)
		held := func() bool {
			t.Helper()
			return !r.send(r.withTeen, img, "image/jpeg").delivered
		}
		if held() {
			t.Fatal("held before any bank has it")
		}
		c := r.add(cli, "cli-bank", false, itemOf(t, "K-1", hashbanktest.PNG(imgKnown)))
		if !held() || r.img.Generation() != c.Generation {
			t.Fatalf("not seen after another process added it (index at %d, store at %d)", r.img.Generation(), c.Generation)
		}
		if _, err := cli.Remove(ctx, "cli-bank", []string{"K-1"}, "tester"); err != nil {
			t.Fatal(err)
		}
		if held() {
			t.Fatal("still held after another process removed the entry")
		}
		r.add(cli, "cli-bank", false, itemOf(t, "K-2", hashbanktest.PNG(imgKnown)))
		if _, err := cli.SetEnabled(ctx, "cli-bank", false, "tester"); err != nil {
			t.Fatal(err)
		}
		if held() {
			t.Fatal("held by a disabled bank")
		}
		if _, err := cli.SetEnabled(ctx, "cli-bank", true, "tester"); err != nil {
			t.Fatal(err)
		}
		if !held() {
			t.Fatal("not held after the bank was enabled again")
		}
		// A replacing import without the image: a rebuild.
		var list bytes.Buffer
		hashbanktest.WriteRandomList(&list, 50, 7)
		if _, err := cli.Import(ctx, banks.ListImport{Spec: banks.Spec{Bank: "cli-bank"}, Format: "text", Replace: true}, &list); err != nil {
			t.Fatal(err)
		}
		if held() {
			t.Fatal("held after a replacing import dropped the entry")
		}
		if n, _ := r.img.Entries(); n != 50 {
			t.Errorf("index holds %d entries after the replace, want 50", n)
		}
	})
}

// TestRetro: entries added to a bank are checked against the media of the
// last RetroDays: a match becomes a retroactive detection (not held, the
// message was delivered) once, even with two passes; older media is
// forgotten.
func TestRetro(t *testing.T) {
	eachImgStore(t, func(t *testing.T, st store.Store, reopen func(*testing.T) store.Store) {
		r := newImgRig(t, st, Config{RetroDays: 30})
		r.load()
		ctx := t.Context()
		old := r.send(r.withTeen, hashbanktest.JPEG(imgKnown, 80), "image/jpeg")
		r.now = r.now.Add(20 * 24 * time.Hour)
		toTeen := r.send(r.withTeen, hashbanktest.JPEG(hashbanktest.Scale(imgKnown, 0.6), 40), "image/jpeg")
		toAdult := r.send(r.withAdult, hashbanktest.PNG(hashbanktest.Mirror(imgKnown)), "image/png")
		unrelated := r.send(r.withTeen, hashbanktest.PNG(imgOK), "image/png")
		for _, s := range []sent{old, toTeen, toAdult, unrelated} {
			if !s.delivered {
				t.Fatalf("delivered before the hash was known: %+v", s)
			}
		}
		r.now = r.now.Add(15 * 24 * time.Hour) // the first image is now 35 days old
		other := newBanks(t, banks.Deps{Store: reopen(t), Now: func() time.Time { return r.now }})
		r.add(other, "late", false, itemOf(t, "L-1", hashbanktest.PNG(imgKnown)))
		res, err := r.img.Retro(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Detections != 2 || res.Checked != 3 || res.Purged != 1 {
			t.Errorf("retroactive pass: %+v", res)
		}
		for _, s := range []sent{toTeen, toAdult} {
			ds := r.detections(s.m.ID)
			if len(ds) != 1 || ds[0].Held || ds[0].Source != safeguard.HashMatch || detail(t, ds[0])["retroactive"] != true ||
				detail(t, ds[0])["entry"] != "L-1" || !strings.HasPrefix(ds[0].Summary, "delivered earlier") || len(ds[0].Members) != 2 {
				t.Errorf("retroactive detection: %+v", ds)
			}
		}
		if ds := r.detections(old.m.ID); len(ds) != 0 {
			t.Errorf("media older than the window matched: %+v", ds)
		}
		if ds := r.detections(unrelated.m.ID); len(ds) != 0 {
			t.Errorf("an unrelated image matched: %+v", ds)
		}
		// A second pass, and a pass after an unrelated change, add nothing.
		if res, err := r.img.Retro(ctx); err != nil || res.Detections != 0 || res.Checked != 0 {
			t.Errorf("second pass: %+v %v", res, err)
		}
		var list bytes.Buffer
		hashbanktest.WriteRandomList(&list, 20, 3)
		if _, err := other.Import(ctx, banks.ListImport{Spec: banks.Spec{Bank: "late"}, Format: "text"}, &list); err != nil {
			t.Fatal(err)
		}
		if res, err := r.img.Retro(ctx); err != nil || res.Detections != 0 || res.Checked != 3 {
			t.Errorf("pass after an unrelated import: %+v %v", res, err)
		}
		// A live match after the pass is not reported again.
		s := r.send(r.withTeen, hashbanktest.JPEG(imgKnown, 60), "image/jpeg")
		if s.delivered || len(s.dets) != 1 {
			t.Fatalf("live match: %+v", s)
		}
		other.Add(ctx, banks.Spec{Bank: "late"}, []banks.Item{itemOf(t, "L-2", hashbanktest.PNG(imgKnown))})
		if res, err := r.img.Retro(ctx); err != nil || res.Detections != 0 {
			t.Errorf("pass after a second entry of the same image: %+v %v", res, err)
		}
		if ds := r.detections(s.m.ID); len(ds) != 1 {
			t.Errorf("a held message matched again: %+v", ds)
		}
	})
}

// TestHashImage: the digests are of the bytes, the dihedral hashes are
// those of the transformed images, and a file that is not an image keeps
// its digests.
// TestHash: Hash gives the digests of every file, and for an image it can
// decode the PDQ hash of the decoded image (with the hashes of its rotations
// and flips when asked); what is kept of it for retroactive matching reads
// back the same.
func TestHash(t *testing.T) {
	photo := hashbanktest.JPEG(hashbanktest.Image(5, 300, 200), 80)
	tests := []struct {
		name    string
		data    []byte
		code    string // "" when it decodes
		decoded bool
	}{
		{"PNG", hashbanktest.PNG(imgKnown), "", true},
		{"JPEG", photo, "", true},
		{"JPEG with a trailer", append(bytes.Clone(photo), "trailing bytes after EOI"...), "", true},
		{"text", []byte("just text"), imaging.CodeUnsupported, false},
		{"truncated JPEG", photo[:len(photo)/3], imaging.CodeCorrupt, false},
	}
	for _, tt := range tests {
		h := Hash(tt.data, imaging.Limits{}, true)
		if h.MD5 != md5.Sum(tt.data) || h.SHA256 != sha256.Sum256(tt.data) || h.Decoded != tt.decoded || h.Code() != tt.code {
			t.Errorf("%s: decoded %v, code %q, digests %x %x", tt.name, h.Decoded, h.Code(), h.MD5, h.SHA256)
			continue
		}
		single := Hash(tt.data, imaging.Limits{}, false)
		if !tt.decoded {
			if h.Matchable() || single.PDQ != ([8]hashbank.PDQ{}) || single.Quality != 0 {
				t.Errorf("%s: an undecoded file is matchable: %+v", tt.name, h)
			}
			continue
		}
		img, err := imaging.Decode(tt.data, imaging.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		r := pdq.HashImage(img.Image, pdq.Options{})
		img.Release()
		if single.PDQ[0] != hashbank.PDQ(r.Hash) || single.Quality != r.Quality || single.PDQ[1] != (hashbank.PDQ{}) ||
			single.Width != img.Bounds().Dx() || single.Height != img.Bounds().Dy() {
			t.Errorf("%s: single hash %+v, want PDQ %v quality %d", tt.name, single, r.Hash, r.Quality)
		}
		if h.PDQ[0] != single.PDQ[0] {
			t.Errorf("%s: the dihedral hashes start with %v, want %v", tt.name, h.PDQ[0], single.PDQ[0])
		}
		back := hashesOf(h.mediaHashes())
		if back.PDQ != h.PDQ || back.MD5 != h.MD5 || back.SHA256 != h.SHA256 || !back.Dihedral || back.Quality != h.Quality {
			t.Errorf("%s: media hashes round trip: %+v", tt.name, back)
		}
	}
}

// TestImageDetailNamesTheEntry: the detail carries what cases and reports
// read (bank, entry, distance, pdq, pdq_quality) and every further match.
func TestImageDetailNamesTheEntry(t *testing.T) {
	_, open := imgStores(t)["sqlite"](t)
	r := newImgRig(t, open(t), Config{})
	png := hashbanktest.PNG(imgKnown)
	r.add(r.banks, "a-bank", false, itemOf(t, "A-1", png))
	r.add(r.banks, "b-bank", false, banks.Item{Quality: 100, Hashes: hashbank.Hashes{Kinds: hashbank.KindPDQ, PDQ: Hash(png, imaging.Limits{}, false).PDQ[0]}})
	r.load()
	s := r.send(r.withTeen, png, "image/png")
	if len(s.dets) != 1 {
		t.Fatalf("%+v", s)
	}
	det := detail(t, s.dets[0])
	ms, _ := det["matches"].([]any)
	if det["bank"] != "a-bank" || det["kind"] != "sha256" || len(ms) != 1 || ms[0].(map[string]any)["bank"] != "b-bank" ||
		len(det["pdq"].(string)) != 64 || det["sha256"] != Hash(png, imaging.Limits{}, false).SHA256.String() {
		t.Errorf("detail %s", s.dets[0].Detail)
	}
	if !strings.Contains(s.dets[0].Summary, "bank a-bank, entry A-1") {
		t.Errorf("summary %q", s.dets[0].Summary)
	}
}

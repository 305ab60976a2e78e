package web_test

import (
	"bytes"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/nudity/nuditytest"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/safety/banks"
	"github.com/safeguard-dev/safeguard/internal/safety/images"
	"github.com/safeguard-dev/safeguard/internal/safety/nudityscan"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
)

// sendGIF sends an animated GIF.
func (s *nudeStack) sendGIF(from *client.Client, conv int64, data []byte, confirm bool) (*client.Message, error) {
	if confirm {
		return from.SendImageConfirmed(s.t.Context(), conv, "a.gif", "image/gif", data, "")
	}
	return from.SendImage(s.t.Context(), conv, "a.gif", "image/gif", data, "")
}

// unscanned checks that a message has one scan_failed detection, held,
// with the reason given.
func unscanned(t *testing.T, ds []*safeguard.Detection, reason string) {
	t.Helper()
	if len(ds) != 1 || ds[0].Source != safeguard.ScanFailure || !ds[0].Held {
		t.Fatalf("detections = %+v, want one held scan_failed", ds)
	}
	f, err := ds[0].Finding()
	if err != nil || f.Unscanned == nil || f.Unscanned.Reason != reason {
		t.Errorf("finding = %+v %v, want reason %s", f.Unscanned, err, reason)
	}
}

// TestNudityAnimatedGIF: every frame of an animated GIF is classified as a
// viewer sees it. A GIF whose only frame that counts as nudity is its
// fourth is held from a teen, with a case, exactly as a still image that
// counts; the detection records that frame's scores and which frame it
// was. From a teen to a teen it is asked about, then delivered blurred. A
// GIF whose frames are all ordinary is delivered.
func TestNudityAnimatedGIF(t *testing.T) {
	eachNudity(t, nudityscan.Config{}, func(t *testing.T, s *nudeStack) {
		adult := s.user("ag_adult", 34, "Cambridge")
		teen := s.user("ag_teen", 14, "Bedford")
		peer := s.user("ag_peer", 14, "Bedford")
		conv := s.pair(adult, "ag_adult", teen, "ag_teen")
		s.cl.AnswerMarked(nuditytest.Nude)
		anim := nuditytest.GIF(64, 48, 6, 3, 1)
		if a := imaging.Animated(anim); a.Type != imaging.GIF || a.Frames != 6 {
			t.Fatalf("the test GIF: %+v", a)
		}
		m, err := s.sendGIF(adult, conv, anim, false)
		if err != nil || m.Status != "sent" {
			t.Fatalf("the adult's view: %+v %v", m, err)
		}
		if n := s.cl.Calls(); n != 6 {
			t.Errorf("the classifier was asked %d times, want once a frame (6)", n)
		}
		if ms := history(t, teen, conv); len(ms) != 0 {
			t.Errorf("the teen received it: %+v", ms)
		}
		d := checkFinding(t, s.detections(m.ID), nudity.AdultToMinor, nudity.ActHold)
		f, _ := d.Finding()
		if !d.Held || f.Nudity.Frame != 4 || f.Nudity.Frames != 6 || !strings.Contains(d.Summary, "frame 4 of 6") {
			t.Errorf("detection %+v, finding %+v: want held, frame 4 of 6", d, f.Nudity)
		}
		if n := s.process(t); n != 1 {
			t.Fatalf("processed %d detections, want 1", n)
		}
		if cs := s.cases(t); len(cs) != 1 || cs[0].Priority != 1 || cs[0].Source != "new_image" {
			t.Errorf("cases = %+v", cs)
		}

		// Between teens: asked first, then delivered blurred.
		pc := s.pair(teen, "ag_teen", peer, "ag_peer")
		if _, err := s.sendGIF(teen, pc, anim, false); client.ErrorCode(err) != client.CodeConfirmImage {
			t.Fatalf("a teen's GIF to a teen: %v, want confirm_image", err)
		}
		m2, err := s.sendGIF(teen, pc, anim, true)
		if err != nil {
			t.Fatal(err)
		}
		if ms := history(t, peer, pc); len(ms) != 1 || ms[0].ID != m2.ID || !ms[0].Blurred {
			t.Errorf("the peer's history: %+v", ms)
		}
		checkFinding(t, s.detections(m2.ID), nudity.MinorToMinor, nudity.ActBlur)

		// No frame counts: delivered as any image.
		plain, err := s.sendGIF(adult, conv, nuditytest.GIF(64, 48, 6, -1, 2), false)
		if err != nil {
			t.Fatal(err)
		}
		if ms := history(t, teen, conv); len(ms) != 1 || ms[0].ID != plain.ID || ms[0].Blurred {
			t.Errorf("an ordinary GIF: the teen's history %+v", ms)
		}
		if ds := s.detections(plain.ID); len(ds) != 0 {
			t.Errorf("an ordinary GIF left detections: %+v", ds)
		}
	})
}

// TestNudityAnimatedNotClassified: toward a teen, a GIF with more frames
// than are classified and an animated PNG are held as images that cannot be
// classified, each with a case; between adults neither is classified and
// both are delivered.
func TestNudityAnimatedNotClassified(t *testing.T) {
	eachNudity(t, nudityscan.Config{MaxFrames: 4}, func(t *testing.T, s *nudeStack) {
		adult := s.user("an_adult", 34, "Cambridge")
		other := s.user("an_other", 35, "Cambridge")
		teen := s.user("an_teen", 15, "Bedford")
		conv := s.pair(adult, "an_adult", teen, "an_teen")
		grown := s.pair(adult, "an_adult", other, "an_other")
		s.cl.AnswerMarked(nuditytest.Nude)
		long := nuditytest.GIF(64, 48, 5, 4, 3)
		apng := nuditytest.APNG(64, 48, 4)
		if a := imaging.Animated(apng); a.Type != imaging.PNG || a.Frames != 2 {
			t.Fatalf("the test APNG: %+v", a)
		}

		m, err := s.sendGIF(adult, conv, long, false)
		if err != nil || m.Status != "sent" {
			t.Fatalf("a GIF over the frame limit: %+v %v", m, err)
		}
		unscanned(t, s.detections(m.ID), nudityscan.ReasonAnimationTooLarge)
		m2, err := adult.SendImage(t.Context(), conv, "a.png", "image/png", apng, "")
		if err != nil || m2.Status != "sent" {
			t.Fatalf("an APNG: %+v %v", m2, err)
		}
		unscanned(t, s.detections(m2.ID), nudityscan.ReasonAnimatedPNG)
		if ms := history(t, teen, conv); len(ms) != 0 {
			t.Errorf("the teen received %+v", ms)
		}
		if n := s.cl.Calls(); n != 0 {
			t.Errorf("the classifier was asked %d times, want none: nothing could be classified whole", n)
		}
		if n := s.process(t); n != 2 {
			t.Errorf("processed %d detections, want 2", n)
		}
		if cs := s.cases(t); len(cs) != 2 {
			t.Errorf("cases = %+v, want one for each image", cs)
		}

		// Between adults: not classified, delivered.
		for _, send := range []func() (*client.Message, error){
			func() (*client.Message, error) { return s.sendGIF(adult, grown, long, false) },
			func() (*client.Message, error) {
				return adult.SendImage(t.Context(), grown, "a.png", "image/png", apng, "")
			},
		} {
			if _, err := send(); err != nil {
				t.Fatal(err)
			}
		}
		if ms := history(t, other, grown); len(ms) != 2 {
			t.Errorf("between adults: %+v", ms)
		}
		if n := s.cl.Calls(); n != 0 {
			t.Errorf("the classifier was asked %d times between adults", n)
		}
	})
}

// flatPNG is a picture of one grey: its PDQ quality is 0, too low to be
// matched.
func flatPNG(t *testing.T) []byte {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range m.Pix {
		m.Pix[i] = 128
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// eachNudityBanked runs fn against every store with the risk rules, the
// known-image check over a bank that holds the image known, and the
// new-image scanner; nudityFirst puts the new-image scanner before the
// known-image check, so that its detection is written, and handled, first.
func eachNudityBanked(t *testing.T, known []byte, nudityFirst bool, fn func(t *testing.T, s *nudeStack)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cl := &nuditytest.Classifier{}
			late := &lateScanner{}
			s := newCaseStackWith(t, open(t), late, func(_ *cases.Config, d *cases.Deps) {
				r, err := riskscan.New(riskscan.Config{EstablishedAfter: time.Nanosecond}, riskscan.Deps{Store: d.Store, Notify: d.Notify})
				if err != nil {
					t.Fatal(err)
				}
				n, err := nudityscan.New(nudityscan.Config{}, nudityscan.Deps{Store: d.Store, Classifier: cl, Notify: d.Notify})
				if err != nil {
					t.Fatal(err)
				}
				im, err := images.New(images.Config{}, images.Deps{Store: d.Store})
				if err != nil {
					t.Fatal(err)
				}
				b, err := banks.New(banks.Config{}, banks.Deps{Store: d.Store})
				if err != nil {
					t.Fatal(err)
				}
				h := images.Hash(known, imaging.Limits{}, false)
				item := banks.Item{ExternalID: "test-entry-0042", Quality: h.Quality, Hashes: hashbank.Hashes{
					Kinds: hashbank.KindPDQ | hashbank.KindMD5 | hashbank.KindSHA256, PDQ: h.PDQ[0], MD5: h.MD5, SHA256: h.SHA256}}
				if _, err := b.Add(t.Context(), banks.Spec{Bank: "test-bank", Source: "test", By: "tester"}, []banks.Item{item}); err != nil {
					t.Fatal(err)
				}
				if _, err := im.Load(t.Context()); err != nil {
					t.Fatal(err)
				}
				late.s = safety.Scanners{r, im, n}
				if nudityFirst {
					late.s = safety.Scanners{r, n, im}
				}
			})
			fn(t, &nudeStack{caseStack: s, cl: cl})
		})
	}
}

// TestNudityAndHashMatchOneCase: an image that both matches a hash bank and
// counts as nudity leaves two detections, and one case: the hash match's,
// with the classifier's scores as a second finding in it — whichever
// detection is handled first.
func TestNudityAndHashMatchOneCase(t *testing.T) {
	known := nuditytest.PNG(64, 48, 42)
	for _, order := range []struct {
		name        string
		nudityFirst bool
	}{{"hash match first", false}, {"classifier first", true}} {
		t.Run(order.name, func(t *testing.T) {
			eachNudityBanked(t, known, order.nudityFirst, func(t *testing.T, s *nudeStack) {
				ctx := t.Context()
				adult := s.user("hb_adult", 34, "Cambridge")
				teen := s.user("hb_teen", 14, "Bedford")
				conv := s.pair(adult, "hb_adult", teen, "hb_teen")
				s.cl.Answer(nuditytest.Nude)
				m, err := adult.SendImage(ctx, conv, "p.png", "image/png", known, "")
				if err != nil || m.Status != "sent" {
					t.Fatalf("the adult's view: %+v %v", m, err)
				}
				if ms := history(t, teen, conv); len(ms) != 0 {
					t.Errorf("the teen received it: %+v", ms)
				}
				var sources []string
				for _, d := range s.detections(m.ID) {
					sources = append(sources, string(d.Source))
				}
				slices.Sort(sources)
				if !slices.Equal(sources, []string{"hash_match", "new_image"}) {
					t.Fatalf("detections from %v, want a hash match and a new image", sources)
				}
				if n := s.process(t); n != 2 {
					t.Fatalf("processed %d detections, want 2", n)
				}
				cs := s.cases(t)
				if len(cs) != 1 {
					t.Fatalf("cases = %+v, want one", cs)
				}
				if cs[0].Source != "hash_match" || cs[0].Priority != 1 {
					t.Errorf("the case = %+v, want the hash match's, priority 1", cs[0])
				}
				v, err := s.admin.AdminCase(ctx, cs[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				var occ []string
				for _, o := range v.Occurrences {
					if o.MessageID != m.ID {
						t.Errorf("an occurrence of another message: %+v", o)
					}
					occ = append(occ, o.Source)
				}
				slices.Sort(occ)
				if !slices.Equal(occ, []string{"hash_match", "new_image"}) {
					t.Errorf("the case's occurrences come from %v", occ)
				}

				// Another image of the same sender that only the classifier
				// finds is a case of its own.
				m2, err := s.image(adult, conv, 43)
				if err != nil {
					t.Fatal(err)
				}
				checkFinding(t, s.detections(m2.ID), nudity.AdultToMinor, nudity.ActHold)
				s.process(t)
				if cs := s.cases(t); len(cs) != 2 {
					t.Errorf("cases = %+v, want two", cs)
				}

				// An image the known-image check cannot check (a flat
				// picture: PDQ quality 0) and the classifier flags is one
				// case too, the classifier's.
				m3, err := adult.SendImage(ctx, conv, "f.png", "image/png", flatPNG(t), "")
				if err != nil {
					t.Fatal(err)
				}
				sources = nil
				for _, d := range s.detections(m3.ID) {
					sources = append(sources, string(d.Source))
				}
				slices.Sort(sources)
				if !slices.Equal(sources, []string{"new_image", "scan_failed"}) {
					t.Fatalf("a flat image: detections from %v", sources)
				}
				s.process(t)
				cs = s.cases(t)
				if len(cs) != 3 {
					t.Fatalf("cases = %+v, want three", cs)
				}
				found := false
				for _, c := range cs {
					v, err := s.admin.AdminCase(ctx, c.ID)
					if err != nil {
						t.Fatal(err)
					}
					if len(v.Occurrences) == 0 || v.Occurrences[0].MessageID != m3.ID {
						continue
					}
					found = true
					if c.Source != "new_image" || len(v.Occurrences) != 2 {
						t.Errorf("the flat image's case = %+v with %d occurrences, want the classifier's with 2", c, len(v.Occurrences))
					}
				}
				if !found {
					t.Error("no case of the flat image")
				}
			})
		})
	}
}

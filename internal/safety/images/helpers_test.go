package images

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/safety/banks"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// imgNow is the tests' clock.
var imgNow = time.Date(2026, time.May, 4, 12, 0, 0, 0, time.UTC)

// imgStores lists the stores the image tests run on: SQLite always,
// PostgreSQL when SAFEGUARD_TEST_POSTGRES is set. Each gives the DSN that a
// second handle (another process, in effect) can open.
func imgStores(t *testing.T) map[string]func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
	m := map[string]func(t *testing.T) (store.Store, func(t *testing.T) store.Store){
		"sqlite": func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
			path := filepath.Join(t.TempDir(), "x.db")
			open := func(t *testing.T) store.Store {
				db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			return open(t), open
		},
	}
	if os.Getenv(pgtest.EnvDSN) != "" {
		m["postgres"] = func(t *testing.T) (store.Store, func(t *testing.T) store.Store) {
			dsn := pgtest.Schema(t)
			open := func(t *testing.T) store.Store { return pgtest.OpenDSN(t, dsn) }
			return open(t), open
		}
	}
	return m
}

// eachImgStore runs fn on every store.
func eachImgStore(t *testing.T, fn func(t *testing.T, st store.Store, reopen func(t *testing.T) store.Store)) {
	for name, open := range imgStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st, reopen := open(t)
			fn(t, st, reopen)
		})
	}
}

// imgRig is the messaging core with the image scanner, a bank manager on
// the same store, a clock, an adult, another adult and a teen who are the
// adult's contacts, and the adult's conversations with each.
type imgRig struct {
	t         *testing.T
	st        store.Store
	img       *Scanner
	banks     *banks.Service
	svc       *messaging.Service
	now       time.Time
	adult     int64
	other     int64
	teen      int64
	withTeen  int64
	withAdult int64
}

func newImgRig(t *testing.T, st store.Store, cfg Config) *imgRig {
	t.Helper()
	ctx := t.Context()
	r := &imgRig{t: t, st: st, now: imgNow}
	clock := func() time.Time { return r.now }
	var err error
	if r.img, err = New(cfg, Deps{Store: st, Now: clock}); err != nil {
		t.Fatal(err)
	}
	r.banks = newBanks(t, banks.Deps{Store: st, Now: clock})
	key := make([]byte, media.KeySize)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	r.svc, err = messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
		messaging.Deps{Store: st, Media: md, Scanner: r.img, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.svc.Close() }) // the queued refusals, before the store closes
	handles := map[string]string{}      // nickname → handle
	signUp := func(nickname string, years int) int64 {
		born := imgNow.AddDate(-years, 0, -1).Format(time.DateOnly)
		a, err := r.svc.SignUp(ctx, messaging.SignUp{Nickname: nickname, Password: "correct horse battery", BirthDate: born}, safeguard.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		handles[nickname] = a.Account.Handle
		return a.Account.ID
	}
	r.adult, r.other, r.teen = signUp("img_adult", 35), signUp("img_other", 40), signUp("img_teen", 15)
	for _, p := range []struct {
		from int64
		to   string
	}{{r.teen, handles["img_adult"]}, {r.other, handles["img_adult"]}} {
		c, err := r.svc.RequestContact(ctx, p.from, p.to)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.AcceptContact(ctx, r.adult, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	conv := func(handle string) int64 {
		v, _, err := r.svc.CreateConversation(ctx, r.adult, messaging.NewConversation{Members: []string{handle}})
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	r.withTeen, r.withAdult = conv(handles["img_teen"]), conv(handles["img_other"])
	return r
}

// load builds the index and fails the test on error.
func (r *imgRig) load() {
	r.t.Helper()
	if _, err := r.img.Load(r.t.Context()); err != nil {
		r.t.Fatal(err)
	}
}

// itemOf is a bank item with an image's hashes, as `safeguard bank add`
// makes it.
func itemOf(t *testing.T, id string, data []byte) banks.Item {
	t.Helper()
	h := Hash(data, imaging.Limits{}, false)
	if !h.Decoded {
		t.Fatalf("%s: %v", id, h.Err)
	}
	return banks.Item{ExternalID: id, Quality: h.Quality, Hashes: hashbank.Hashes{
		Kinds: hashbank.KindPDQ | hashbank.KindMD5 | hashbank.KindSHA256, PDQ: h.PDQ[0], MD5: h.MD5, SHA256: h.SHA256}}
}

// add puts images into a bank.
func (r *imgRig) add(admin *banks.Service, bank string, negative bool, items ...banks.Item) *banks.Change {
	r.t.Helper()
	c, err := admin.Add(r.t.Context(), banks.Spec{Bank: bank, Negative: negative, Source: "test", By: "tester"}, items)
	if err != nil {
		r.t.Fatalf("add to %s: %v", bank, err)
	}
	return c
}

// sent is an image the adult sent: the sender's answer, what the recipient
// sees, and what the store holds about it.
type sent struct {
	m         *messaging.MessageView
	err       error
	delivered bool // the recipient's history shows it
	dets      []*safeguard.Detection
	hashes    *safeguard.MediaHashes
}

// send sends data from the adult into a conversation, declared as ctype.
func (r *imgRig) send(conv int64, data []byte, ctype string) sent {
	r.t.Helper()
	ctx := r.t.Context()
	var out sent
	out.m, out.err = r.svc.SendImage(ctx, r.adult, conv, data, ctype, "", safeguard.Origin{})
	if out.err != nil {
		return out
	}
	to := r.teen
	if conv == r.withAdult {
		to = r.other
	}
	h, err := r.svc.History(ctx, to, conv, 0, 0, 200)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, m := range h.Messages {
		if m.ID == out.m.ID {
			out.delivered = true
		}
	}
	out.dets = r.detections(out.m.ID)
	r.st.View(ctx, func(tx store.Tx) error {
		hs, err := tx.StaleMediaHashes(ctx, time.Time{}, 1<<62, out.m.MediaID-1, 1)
		if len(hs) == 1 && hs[0].MediaID == out.m.MediaID {
			out.hashes = hs[0]
		}
		return err
	})
	return out
}

// detections returns the detections of a message, newest first.
func (r *imgRig) detections(messageID int64) []*safeguard.Detection {
	r.t.Helper()
	var ds []*safeguard.Detection
	if err := r.st.View(r.t.Context(), func(tx store.Tx) (err error) {
		ds, err = tx.Detections(r.t.Context(), store.DetectionQuery{MessageID: messageID})
		return err
	}); err != nil {
		r.t.Fatal(err)
	}
	return ds
}

// detail decodes a detection's detail.
func detail(t *testing.T, d *safeguard.Detection) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(d.Detail, &m); err != nil {
		t.Fatalf("detail %s: %v", d.Detail, err)
	}
	return m
}

// generated images of the tests.
var (
	imgKnown = hashbanktest.Image(1, 640, 480)
	imgOK    = hashbanktest.Image(2, 640, 480)
)

// newBanks returns a bank manager over d.
func newBanks(tb testing.TB, d banks.Deps) *banks.Service {
	tb.Helper()
	b, err := banks.New(banks.Config{}, d)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

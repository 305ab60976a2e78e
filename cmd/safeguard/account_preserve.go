package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/web"
)

func accountPreserve(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	var p *safeguard.Preservation
	var acc *safeguard.Account
	var err error
	if a.extend != 0 {
		if err := messaging.ExtendOnlyDays(a.reference, a.agency); err != nil {
			return err
		}
		p, acc, err = svc.ExtendPreservation(ctx, a.ref, a.extend, a.days, a.by)
	} else {
		p, acc, err = svc.Preserve(ctx, a.ref, messaging.Preservation{Reference: a.reference, Agency: a.agency, Days: a.days, By: a.by})
	}
	if err != nil {
		return err
	}
	if a.json {
		return writeAccountJSON(e.stdout, web.WirePreservation(p, acc.Handle, time.Now()))
	}
	verb := "recorded"
	if a.extend != 0 {
		verb = "extended"
	}
	fmt.Fprintf(e.stdout, "preservation %d of %s %s: %s, reference %s\n", p.ID, acc.Handle, verb, p.Agency, p.Reference)
	fmt.Fprintf(e.stdout, "its messages, media, logins (address and port) and contacts are held until %s; the account holder is not told\n",
		p.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

func accountPreservations(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	acc, ps, err := svc.Preservations(ctx, a.ref)
	if err != nil {
		return err
	}
	now := time.Now()
	if a.json {
		out := client.PreservationList{Handle: acc.Handle, Preservations: []client.Preservation{}}
		for _, p := range ps {
			out.Preservations = append(out.Preservations, web.WirePreservation(p, acc.Handle, now))
		}
		return writeAccountJSON(e.stdout, out)
	}
	if len(ps) == 0 {
		fmt.Fprintf(e.stdout, "%s has no preservation requests\n", acc.Handle)
		return nil
	}
	for _, p := range ps {
		state := "ended"
		if p.Active(now) {
			state = "holds"
		}
		fmt.Fprintf(e.stdout, "%d  %s  %s  %s  recorded %s by %s  until %s\n", p.ID, state, p.Agency, p.Reference,
			p.CreatedAt.UTC().Format(time.RFC3339), p.RecordedBy, p.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// cmdAccountExport writes what is held of an account into a package signed
// with the evidence key.
func cmdAccountExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "account export", "account export HANDLE --reference REF --out DIR --by NAME [flags]")
	var d dataFlags
	bindData(fs, &d, true)
	bindClusterFiles(fs, &d)
	reference := fs.String("reference", "", "the reference of the legal order the data is disclosed under (required)")
	out := fs.String("out", "", "the new directory to write the package into (required)")
	by := fs.String("by", "", "who exports: the name of the person at the command line, recorded as is in the audit log (required)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, err: errors.New("account export: give one HANDLE (a handle or a numeric ID)")}
	}
	if *out == "" || *reference == "" || *by == "" {
		return &exitError{code: 2, err: errors.New("account export: --reference, --out and --by are required")}
	}
	d.resolve()
	var cc caseConfig
	d.cases(&cc)
	cc.readSecrets(e)
	st, err := d.openRead(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	shared, closeFiles, err := openClusterFiles(ctx, d.nats)
	if err != nil {
		return err
	}
	defer closeFiles()
	cc.files = shared
	keys, err := commandKeys(ctx, e, st, d.kekFile)
	if err != nil {
		return err
	}
	if err := needClusterFiles(ctx, keys, d.nats, cc.files); err != nil {
		return err
	}
	md, err := openMediaToRead(e, &d, cc.files, keys)
	if err != nil {
		return err
	}
	var key ed25519.PrivateKey
	if keys != nil {
		key, err = keys.EvidenceSigning, checkPinned(cc.evidencePub, keys.EvidenceSigning)
	} else {
		key, err = signingKey(cc)
	}
	if err != nil {
		return err
	}
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}}, messaging.Deps{Store: st, Media: md})
	if err != nil {
		return err
	}
	defer svc.Close()
	dis, err := svc.Disclose(ctx, fs.Arg(0), *reference, *by)
	if err != nil {
		return err
	}
	files, err := disclosureFiles(ctx, dis, md)
	if err != nil {
		return err
	}
	m := evidence.Manifest{Subject: fmt.Sprintf("account %d (%s)", dis.Account.ID, dis.Account.Handle), Reference: *reference,
		CreatedAt: time.Now().UTC().Truncate(time.Second), CreatedBy: *by}
	written, err := evidence.WritePackage(*out, m, files, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %d files for %s into %s (%d messages, %d media, %d logins, %d contacts, %d preservation requests), signed by the evidence key %s\n",
		len(written.Files), dis.Account.Handle, *out, len(dis.Messages), len(dis.Media), len(dis.Logins), len(dis.Contacts), len(dis.Preservations), written.PublicKey)
	fmt.Fprintf(e.stdout, "check it with: safeguard evidence verify --package %s --evidence-pubkey %s\n", *out, written.PublicKey)
	return nil
}

// mediaGetter reads media bytes by storage key.
type mediaGetter interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// evidenceKeyPath is where the evidence signing key is: --evidence-key, or
// beside the evidence directory.
func evidenceKeyPath(c caseConfig) string {
	if c.evidenceKey != "" {
		return c.evidenceKey
	}
	return strings.TrimRight(c.evidenceDir, string(os.PathSeparator)) + ".signing.key"
}

// signingKey loads the evidence signing key the configuration names.
func signingKey(cc caseConfig) (ed25519.PrivateKey, error) {
	path := evidenceKeyPath(cc)
	if err := mustExist(path, "evidence signing key", "evidence-key"); err != nil {
		return nil, err
	}
	key, err := evidence.LoadKey(path)
	if err != nil {
		return nil, err
	}
	if cc.evidencePub != "" {
		pub, err := evidence.ParsePublicKey(cc.evidencePub)
		if err != nil {
			return nil, err
		}
		if !pub.Equal(key.Public()) {
			return nil, errors.New("--evidence-key does not match the pinned --evidence-pubkey")
		}
	}
	return key, nil
}

// disclosure records: what the package's JSON files hold.
type (
	disclosedLogin struct {
		Addr string    `json:"addr"`
		Port uint16    `json:"port"`
		At   time.Time `json:"at"`
		OK   bool      `json:"ok"`
	}
	disclosedMessage struct {
		ID             int64     `json:"id"`
		ConversationID int64     `json:"conversation_id"`
		SenderID       int64     `json:"sender_id"`
		Kind           string    `json:"kind"`
		Text           string    `json:"text,omitempty"`
		MediaID        int64     `json:"media_id,omitempty"`
		Status         string    `json:"status"`
		Addr           string    `json:"addr,omitempty"`
		Port           uint16    `json:"port,omitempty"`
		At             time.Time `json:"at"`
	}
	disclosedMedia struct {
		ID          int64  `json:"id"`
		File        string `json:"file,omitempty"` // in the package; empty when the bytes are gone
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		SHA256      string `json:"sha256"`
	}
	disclosedContact struct {
		FromID    int64     `json:"from_id"`
		ToID      int64     `json:"to_id"`
		State     string    `json:"state"`
		CreatedAt time.Time `json:"created_at"`
	}
)

// disclosureFiles lays out a disclosure as the package's files.
func disclosureFiles(ctx context.Context, d *messaging.Disclosure, md mediaGetter) ([]evidence.PackageFile, error) {
	var files []evidence.PackageFile
	add := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err == nil {
			files = append(files, evidence.PackageFile{Name: name, Data: append(b, '\n')})
		}
		return err
	}
	acc := d.Account
	rec := map[string]any{"id": acc.ID, "handle": acc.Handle, "nickname": safeguard.Nickname(acc.Handle), "birth_date": acc.BirthDate.String(),
		"assurance": acc.Assurance, "status": acc.Status, "app": acc.App, "local_authority": acc.LocalAuthority,
		"police_force": acc.PoliceForce, "created_at": acc.CreatedAt}
	if !acc.BirthDate.IsZero() {
		rec["age_band"] = acc.Band(time.Now())
	}
	logins := []disclosedLogin{}
	for _, l := range d.Logins {
		dl := disclosedLogin{At: l.Origin.At, OK: l.OK}
		if l.Origin.Addr.IsValid() {
			dl.Addr, dl.Port = l.Origin.Addr.Addr().Unmap().String(), l.Origin.Addr.Port()
		}
		logins = append(logins, dl)
	}
	msgs := []disclosedMessage{}
	for _, m := range d.Messages {
		dm := disclosedMessage{ID: m.ID, ConversationID: m.ConversationID, SenderID: m.SenderID, Kind: string(m.Kind), Text: m.Text,
			MediaID: m.MediaID, Status: string(m.Status), At: m.CreatedAt}
		if m.Origin.Addr.IsValid() {
			dm.Addr, dm.Port = m.Origin.Addr.Addr().Unmap().String(), m.Origin.Addr.Port()
		}
		msgs = append(msgs, dm)
	}
	media := []disclosedMedia{}
	for _, m := range d.Media {
		dm := disclosedMedia{ID: m.ID, ContentType: m.ContentType, Size: m.Size, SHA256: fmt.Sprintf("%x", m.SHA256)}
		b, err := md.Get(ctx, m.StorageKey)
		if err == nil {
			if len(m.SHA256) == 0 { // media stored before its digest was recorded
				sum := sha256.Sum256(b)
				dm.SHA256 = hex.EncodeToString(sum[:])
			}
			dm.File = "media/" + strconv.FormatInt(m.ID, 10) + extension(m.ContentType)
			files = append(files, evidence.PackageFile{Name: dm.File, Data: b})
		} else if !errors.Is(err, safeguard.ErrNotFound) {
			return nil, fmt.Errorf("media %d: %w", m.ID, err)
		}
		media = append(media, dm)
	}
	contacts := []disclosedContact{}
	for _, c := range d.Contacts {
		contacts = append(contacts, disclosedContact{FromID: c.FromID, ToID: c.ToID, State: string(c.State), CreatedAt: c.CreatedAt})
	}
	pres := []client.Preservation{}
	for _, p := range d.Preservations {
		pres = append(pres, web.WirePreservation(p, acc.Handle, time.Now()))
	}
	for _, f := range []struct {
		name string
		v    any
	}{{"account.json", rec}, {"logins.json", logins}, {"messages.json", msgs}, {"media.json", media},
		{"contacts.json", contacts}, {"preservations.json", pres}} {
		if err := add(f.name, f.v); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// extension is a file extension for a media content type.
func extension(contentType string) string {
	switch contentType {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	}
	return ".bin"
}

package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// A grant lets one session see one revealed item for a while after the
// audited reveal, without another read of the vault. Grants live in this
// process's memory only: bytes revealed are never written anywhere else.
// Its token says what it grants and until when, signed with the session's
// CSRF token (a secret of the session, which every server of a cluster
// reads from the store): a server that did not make the grant honours it
// by reading the item again, a read recorded like the first (handler.grant).
type grant struct {
	token   string
	session string // the session's token hash, hex
	caseID  int64
	entry   *safeguard.EvidenceEntry // one item revealed, or nil for a thread
	data    []byte
	thread  *cases.Thread // the case's conversation revealed, or nil for an item
	size    int           // the bytes it holds, counted in the bounds
	expires time.Time
}

// Bounds on what grants hold.
const (
	maxGrants     = 256
	maxGrantBytes = 256 << 20
)

type grants struct {
	now func() time.Time
	ttl time.Duration

	mu     sync.Mutex
	m      map[string]*grant
	order  []string // oldest first
	nbytes int
}

func newGrants(now func() time.Time, ttl time.Duration) *grants {
	return &grants{now: now, ttl: ttl, m: map[string]*grant{}}
}

// add stores a grant of one item under token, until expires.
func (g *grants) add(session []byte, token string, expires time.Time, caseID int64, e *safeguard.EvidenceEntry, data []byte) string {
	return g.put(&grant{token: token, expires: expires, session: fmt.Sprintf("%x", session), caseID: caseID, entry: e, data: data, size: len(data)})
}

// addThread stores a grant of a case's conversation under token, until
// expires.
func (g *grants) addThread(session []byte, token string, expires time.Time, caseID int64, t *cases.Thread) string {
	size := 0
	for _, m := range t.Messages {
		size += len(m.Text) + 64
	}
	return g.put(&grant{token: token, expires: expires, session: fmt.Sprintf("%x", session), caseID: caseID, thread: t, size: size})
}

// until is when a grant made now ends.
func (g *grants) until() time.Time { return g.now().Add(g.ttl).Truncate(time.Second) }

// put stores gr (its token and end set) and returns its token.
func (g *grants) put(gr *grant) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m[gr.token] != nil {
		g.drop(gr.token)
	}
	g.m[gr.token] = gr
	g.order = append(g.order, gr.token)
	g.nbytes += gr.size
	// Drop the expired grants, then the oldest while over the bounds; never
	// the one just made.
	now := g.now()
	for i := 0; i < len(g.order); {
		if t := g.order[i]; t != gr.token && now.After(g.m[t].expires) {
			g.drop(t)
			continue
		}
		i++
	}
	for (len(g.order) > maxGrants || g.nbytes > maxGrantBytes) && g.order[0] != gr.token {
		g.drop(g.order[0])
	}
	return gr.token
}

func (g *grants) drop(token string) {
	if gr := g.m[token]; gr != nil {
		g.nbytes -= gr.size
		delete(g.m, token)
	}
	for i, t := range g.order {
		if t == token {
			g.order = append(g.order[:i], g.order[i+1:]...)
			break
		}
	}
}

// get returns the live grant of token for the session and case.
func (g *grants) get(token string, session []byte, caseID int64) *grant {
	if token == "" {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	gr := g.m[token]
	if gr == nil || gr.caseID != caseID || !tokenEqual(gr.session, fmt.Sprintf("%x", session)) {
		return nil
	}
	if g.now().After(gr.expires) {
		g.drop(token)
		return nil
	}
	return gr
}

// previews caches the blurred derivatives, by evidence entry.
type previews struct {
	max   int
	mu    sync.Mutex
	m     map[int64]*preview
	order []int64
}

type preview struct {
	png  []byte
	w, h int
}

func newPreviews(max int) *previews { return &previews{max: max, m: map[int64]*preview{}} }

func (p *previews) get(seq int64) *preview {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[seq]
}

func (p *previews) put(seq int64, v *preview) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.m[seq]; !ok {
		p.order = append(p.order, seq)
	}
	p.m[seq] = v
	for len(p.order) > p.max {
		delete(p.m, p.order[0])
		p.order = p.order[1:]
	}
}

// isImage reports whether an entry is a preserved image.
func isImage(e *safeguard.EvidenceEntry) bool {
	return e.Kind == safeguard.EvidenceItem && e.ItemKind == "media" && strings.HasPrefix(e.ContentType, "image/")
}

// caseFor loads a case for a moderator: forbidden when their role may not
// see cases, and as the cases service answers otherwise (not found, or a
// young person as sender needs a senior moderator).
func (h *handler) caseFor(ctx context.Context, rq *request, id int64) (*safeguard.Case, error) {
	if !rq.can(moderators.ViewCases) {
		return nil, errForbidden
	}
	return h.Cases.CaseFor(ctx, rq.moderator(), id)
}

// entryFor loads an evidence entry of a case the moderator may see.
func (h *handler) entryFor(ctx context.Context, rq *request, caseID, seq int64) (*safeguard.Case, *safeguard.EvidenceEntry, error) {
	if !rq.can(moderators.ViewCases) {
		return nil, nil, errForbidden
	}
	return h.Cases.EvidenceItem(ctx, rq.moderator(), caseID, seq)
}

func pathIDs(r *http.Request, names ...string) ([]int64, error) {
	var out []int64
	for _, n := range names {
		v, err := strconv.ParseInt(r.PathValue(n), 10, 64)
		if err != nil || v <= 0 {
			return nil, errNoPage
		}
		out = append(out, v)
	}
	return out, nil
}

// moderator is who the cases service sees acting.
func (rq *request) moderator() cases.Moderator {
	return cases.Moderator{Name: rq.name(), Role: rq.role()}
}

// reveal records an audited read of one item, with the moderator's reason,
// and shows it to them: the read is written before the bytes are read.
func (h *handler) reveal(w http.ResponseWriter, r *http.Request, rq *request) {
	ids, err := pathIDs(r, "id", "seq")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	id, seq := ids[0], ids[1]
	if _, _, err := h.entryFor(r.Context(), rq, id, seq); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if !rq.can(moderators.RevealEvidence) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	why := strings.TrimSpace(r.PostFormValue("why"))
	switch {
	case why == "":
		h.showCase(w, r, rq, id, http.StatusBadRequest, "", "Say why you need to see this item: the reason is recorded with your name.")
		return
	case len(why) > maxReason:
		h.showCase(w, r, rq, id, http.StatusBadRequest, "", fmt.Sprintf("Keep the reason under %d characters.", maxReason))
		return
	}
	e, data, err := h.Cases.Reveal(r.Context(), id, seq, rq.moderator(), why)
	if err != nil {
		if h.env.Status(err) < 500 {
			h.showCase(w, r, rq, id, h.env.Status(err), "", safeguard.ErrorMessage(err))
			return
		}
		h.fail(w, r, rq, err)
		return
	}
	until := h.grants.until()
	token := h.grants.add(rq.sess.TokenHash, signGrant(rq.sess.CSRFToken, id, seq, until), until, id, e, data)
	q := url.Values{"shown": {token}}
	if keep := r.PostFormValue("keep"); keep != "" {
		if gr, _ := h.grant(r.Context(), rq, keep, id); gr != nil && gr.thread != nil {
			q.Add("shown", keep) // the conversation stays open
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/console/cases/%d?%s#item-%d", id, q.Encode(), seq), http.StatusSeeOther)
}

// preview serves the blurred greyscale derivative of an image. Making it
// reads the original once, recorded as a read by "system" for the
// moderator who asked; the original's bytes never leave the server here.
func (h *handler) preview(w http.ResponseWriter, r *http.Request, rq *request) {
	ids, err := pathIDs(r, "id", "seq")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	_, e, err := h.entryFor(r.Context(), rq, ids[0], ids[1])
	if err == nil && !isImage(e) {
		err = safeguard.Errorf(safeguard.ErrNotFound, "not_an_image", "This item is not an image.")
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	p := h.previews.get(e.Seq)
	if p == nil {
		_, data, err := h.Cases.Reveal(r.Context(), e.CaseID, e.Seq, cases.Moderator{Name: "system"},
			"blurred greyscale preview for the console, asked for by "+rq.name())
		if err != nil {
			h.fail(w, r, rq, err)
			return
		}
		b, pw, ph, err := Derivative(data)
		if err != nil {
			h.fail(w, r, rq, safeguard.Errorf(safeguard.ErrNotFound, "no_preview", "No preview can be made of this image."))
			return
		}
		p = &preview{png: b, w: pw, h: ph}
		h.previews.put(e.Seq, p)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(p.png)))
	w.Header().Set("X-Safeguard-Derivative", "blurred-greyscale")
	w.Write(p.png)
}

// original serves a revealed image to the session that revealed it, while
// its grant lasts.
func (h *handler) original(w http.ResponseWriter, r *http.Request, rq *request) {
	ids, err := pathIDs(r, "id", "seq")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if _, _, err := h.entryFor(r.Context(), rq, ids[0], ids[1]); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	gr, err := h.grant(r.Context(), rq, r.URL.Query().Get("shown"), ids[0])
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if gr == nil || gr.entry == nil || gr.entry.Seq != ids[1] || !isImage(gr.entry) {
		h.fail(w, r, rq, safeguard.Errorf(safeguard.ErrNotFound, "not_revealed",
			"This image is not revealed to you now. Reveal it on the case page (the reveal is recorded)."))
		return
	}
	ct := imaging.Sniff(gr.data)
	if ct == "" {
		h.fail(w, r, rq, safeguard.Errorf(safeguard.ErrNotFound, "not_an_image", "This item is not an image."))
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(gr.data)))
	w.Header().Set("Content-Disposition", "inline")
	w.Write(gr.data)
}

// signGrant is the token of a grant of item seq (0: the conversation) of
// case caseID until until, for the session whose CSRF token is csrf.
// A random part makes each reveal's token its own, even two in one second.
func signGrant(csrf string, caseID, seq int64, until time.Time) string {
	var nonce [8]byte
	rand.Read(nonce[:])
	body := fmt.Sprintf("%d.%d.%d.%x", caseID, seq, until.Unix(), nonce)
	return body + "." + grantMAC(csrf, body)
}

func grantMAC(csrf, body string) string {
	m := hmac.New(sha256.New, []byte(csrf))
	m.Write([]byte("console grant " + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseGrant reads a token signGrant made for the session whose CSRF
// token is csrf; false for any other.
func parseGrant(csrf, token string) (caseID, seq int64, until time.Time, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 5 || csrf == "" {
		return 0, 0, time.Time{}, false
	}
	body := strings.Join(parts[:4], ".")
	if !hmac.Equal([]byte(parts[4]), []byte(grantMAC(csrf, body))) {
		return 0, 0, time.Time{}, false
	}
	var n [3]int64
	for i := range n {
		v, err := strconv.ParseInt(parts[i], 10, 64)
		if err != nil || v < 0 {
			return 0, 0, time.Time{}, false
		}
		n[i] = v
	}
	return n[0], n[1], time.Unix(n[2], 0), true
}

// grant returns the live grant of token for the session and case: the one
// this server holds, or else, for a token another server of the cluster
// signed for this session, the same reveal made here again (the item or
// the conversation read again, and recorded, as the moderator may still
// see it), or nil.
//
// The error is one of a part that is down (the files of a cluster while its
// NATS is away): the page then fails, saying to try again, rather than show
// nothing revealed. Anything else (a deleted item, a case the moderator may
// no longer see) is no grant.
func (h *handler) grant(ctx context.Context, rq *request, token string, caseID int64) (*grant, error) {
	if gr := h.grants.get(token, rq.sess.TokenHash, caseID); gr != nil {
		return gr, nil
	}
	id, seq, until, ok := parseGrant(rq.sess.CSRFToken, token)
	if !ok || id != caseID || !h.clock().Before(until) || !rq.can(moderators.RevealEvidence) {
		return nil, nil
	}
	why := fmt.Sprintf("the reveal of %s, shown by another server of the cluster", until.Add(-h.grants.ttl).UTC().Format(time.RFC3339))
	down := func(err error) (*grant, error) {
		if h.env.Status(err) >= 500 {
			return nil, err
		}
		return nil, nil
	}
	if seq == 0 {
		if _, err := h.caseFor(ctx, rq, caseID); err != nil {
			return down(err)
		}
		t, err := h.Cases.RevealConversation(ctx, caseID, rq.moderator(), why)
		if err != nil {
			return down(err)
		}
		h.grants.addThread(rq.sess.TokenHash, token, until, caseID, t)
	} else {
		if _, _, err := h.entryFor(ctx, rq, caseID, seq); err != nil {
			return down(err)
		}
		e, data, err := h.Cases.Reveal(ctx, caseID, seq, rq.moderator(), why)
		if err != nil {
			return down(err)
		}
		h.grants.add(rq.sess.TokenHash, token, until, caseID, e, data)
	}
	return h.grants.get(token, rq.sess.TokenHash, caseID), nil
}

// grantsOf returns, among tokens, the live grants of case caseID's
// conversation and of one item, each looked for once.
func (h *handler) grantsOf(ctx context.Context, rq *request, caseID int64, tokens []string) (thread, item *grant, err error) {
	for _, t := range tokens {
		gr, err := h.grant(ctx, rq, t, caseID)
		switch {
		case err != nil:
			return nil, nil, err
		case gr == nil:
		case gr.thread != nil:
			thread = gr
		case gr.entry != nil:
			item = gr
		}
	}
	return thread, item, nil
}

package console

import (
	"context"
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
// process's memory only: bytes revealed are never written anywhere else,
// and a server that did not make a grant does not know it (the moderator
// reveals again, which is recorded again).
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

// add stores a grant of one item and returns its token.
func (g *grants) add(session []byte, caseID int64, e *safeguard.EvidenceEntry, data []byte) string {
	return g.put(&grant{session: fmt.Sprintf("%x", session), caseID: caseID, entry: e, data: data, size: len(data)})
}

// addThread stores a grant of a case's conversation and returns its token.
func (g *grants) addThread(session []byte, caseID int64, t *cases.Thread) string {
	size := 0
	for _, m := range t.Messages {
		size += len(m.Text) + 64
	}
	return g.put(&grant{session: fmt.Sprintf("%x", session), caseID: caseID, thread: t, size: size})
}

// put stores gr with a new token, for the reveal window, and returns the
// token.
func (g *grants) put(gr *grant) string {
	gr.token, gr.expires = randomToken(), g.now().Add(g.ttl)
	g.mu.Lock()
	defer g.mu.Unlock()
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
	token := h.grants.add(rq.sess.TokenHash, id, e, data)
	q := url.Values{"shown": {token}}
	if keep := r.PostFormValue("keep"); keep != "" {
		if gr := h.grants.get(keep, rq.sess.TokenHash, id); gr != nil && gr.thread != nil {
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
	gr := h.grants.get(r.URL.Query().Get("shown"), rq.sess.TokenHash, ids[0])
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

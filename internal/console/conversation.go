package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// conversationView is the case's conversation near the top of its page:
// hidden until the moderator reveals it, with one reason, as one thread.
type conversationView struct {
	Preserved int // message and context items preserved
	Flagged   int // the case's messages
	Revealed  bool
	Token     string // the thread's grant, carried by the page's other reveals
	Until     time.Time
	Rows      []conversationRow
	After     int // preserved messages after the last shown
	Items     string
}

type conversationRow struct {
	cases.ThreadMessage
	Number   int // the message's number in the conversation, from 1, when known
	From     person
	ImageSeq int64 // the image's evidence entry, shown blurred in the evidence
}

// conversationOf describes the conversation for the page: how much is
// preserved, and the thread when gr is its live grant for this session.
// numbers are the flagged messages' numbers in the conversation.
func (h *handler) conversationOf(d *caseData, gr *grant, numbers map[int64]int, ppl people) *conversationView {
	v := d.CaseView
	cv := &conversationView{}
	deleted := map[int64]bool{}
	for _, e := range v.Evidence {
		if e.Kind == safeguard.EvidenceTombstone {
			deleted[e.Target] = true
		}
	}
	imageSeq := map[int64]int64{}
	for _, e := range v.Evidence {
		if e.Kind != safeguard.EvidenceItem || deleted[e.Seq] {
			continue
		}
		switch {
		case e.ItemKind == "message" || e.ItemKind == "context":
			cv.Preserved++
		case isImage(&e):
			if id, ok := refID(e.Ref, "media"); ok {
				imageSeq[id] = e.Seq
			}
		}
	}
	for _, o := range v.Occurrences {
		if o.MessageID != 0 {
			cv.Flagged++
		}
	}
	if gr == nil {
		return cv
	}
	cv.Revealed, cv.Token, cv.Until = true, gr.token, gr.expires
	t := gr.thread
	cv.After = t.After
	items := make([]string, len(t.Items))
	for i, s := range t.Items {
		items[i] = strconv.FormatInt(s, 10)
	}
	cv.Items = strings.Join(items, ", ")
	for _, m := range t.Messages {
		row := conversationRow{ThreadMessage: m, From: ppl.who(m.SenderID, nil), ImageSeq: imageSeq[m.MediaID], Number: numbers[m.ID]}
		if a := ppl.accounts[m.SenderID]; a != nil {
			row.From.Band = a.Band(m.At) // as it was when they wrote
		}
		cv.Rows = append(cv.Rows, row)
	}
	return cv
}

// revealConversation reveals a case's whole conversation, with one reason,
// in one recorded read of the items it is made of. Images in it stay
// blurred: each is revealed on its own.
func (h *handler) revealConversation(w http.ResponseWriter, r *http.Request, rq *request) {
	ids, err := pathIDs(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	id := ids[0]
	if _, err := h.caseFor(r.Context(), rq, id); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if !rq.can(moderators.RevealEvidence) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	why, err := reasonField(r, "why", "Say why you need to read the conversation: the reason is recorded with your name.")
	if err != nil {
		h.showCase(w, r, rq, id, http.StatusBadRequest, "", safeguard.ErrorMessage(err))
		return
	}
	t, err := h.Cases.RevealConversation(r.Context(), id, rq.moderator(), why)
	if err != nil {
		if h.env.Status(err) < 500 {
			h.showCase(w, r, rq, id, h.env.Status(err), "", safeguard.ErrorMessage(err))
			return
		}
		h.fail(w, r, rq, err)
		return
	}
	until := h.grants.until()
	token := h.grants.addThread(rq.sess.TokenHash, signGrant(rq.sess.CSRFToken, id, 0, until), until, id, t)
	q := url.Values{"shown": {token}}
	http.Redirect(w, r, fmt.Sprintf("/console/cases/%d?%s#conversation", id, q.Encode()), http.StatusSeeOther)
}

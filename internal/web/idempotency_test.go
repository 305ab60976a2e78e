package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard/client"
)

// postKeyed posts a text with an Idempotency-Key and returns the status and
// the message or error code.
func (s *stack) postKeyed(token, path, key, body string) (int, client.Message, string) {
	s.t.Helper()
	req, _ := http.NewRequestWithContext(s.t.Context(), "POST", s.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m client.Message
	var eb client.ErrorBody
	json.Unmarshal(b, &m)
	json.Unmarshal(b, &eb)
	return resp.StatusCode, m, eb.Error.Code
}

// historyLen returns how many messages conversation conv holds for c.
func historyLen(t *testing.T, c *client.Client, conv int64) int {
	t.Helper()
	page, err := c.History(t.Context(), conv, client.HistoryQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Messages)
}

// TestIdempotentSends: a send repeated with its Idempotency-Key, one after
// the other or at once, answers with the first message and stores nothing
// new; the key is the account's, names one conversation, and must be
// well-formed; without a key every send is a new message.
func TestIdempotentSends(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		a, b, c := s.user("idem_a", 30, ""), s.user("idem_b", 30, ""), s.user("idem_c", 30, "")
		s.connect(a, s.h("idem_b"), b)
		s.connect(c, s.h("idem_b"), b)
		ctx := t.Context()
		conv, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("idem_b")}})
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID)
		code1, m1, _ := s.postKeyed(a.Token, path, "key-1", `{"text":"hello (TEST)"}`)
		code2, m2, _ := s.postKeyed(a.Token, path, "key-1", `{"text":"hello (TEST)"}`)
		if code1 != http.StatusCreated || code2 != http.StatusCreated || m1.ID == 0 || !cmp.Equal(m1, m2) {
			t.Fatalf("same key twice: %d %+v, %d %+v; want 201 and the first message both times", code1, m1, code2, m2)
		}
		if n := historyLen(t, b, conv.ID); n != 1 {
			t.Fatalf("after a repeated send the history holds %d messages, want 1", n)
		}
		var wg sync.WaitGroup
		ids := make([]int64, 6)
		for i := range ids {
			wg.Go(func() {
				code, m, ec := s.postKeyed(a.Token, path, "key-2", `{"text":"at once (TEST)"}`)
				if code != http.StatusCreated {
					t.Errorf("send %d at once: %d %s", i, code, ec)
				}
				ids[i] = m.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("the same key at once gave messages %v, want one", ids)
			}
		}
		if n := historyLen(t, b, conv.ID); n != 2 {
			t.Fatalf("after six sends at once with one key the history holds %d messages, want 2", n)
		}
		// The key is the account's own: another account's send with it is
		// its own message.
		conv2, err := c.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("idem_b")}})
		if err != nil {
			t.Fatal(err)
		}
		if code, m, _ := s.postKeyed(c.Token, fmt.Sprintf("/api/v1/conversations/%d/messages", conv2.ID), "key-1", `{"text":"mine (TEST)"}`); code != http.StatusCreated || m.ID == m1.ID {
			t.Fatalf("another account's key-1: %d, message %d", code, m.ID)
		}
		// One key names one send: in another conversation it is refused.
		conv3, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("idem_b"), s.h("idem_c")}, Title: "group"})
		if err != nil {
			t.Fatal(err)
		}
		if code, _, ec := s.postKeyed(a.Token, fmt.Sprintf("/api/v1/conversations/%d/messages", conv3.ID), "key-1", `{"text":"elsewhere (TEST)"}`); code != http.StatusConflict || ec != "idempotency_key_reused" {
			t.Fatalf("key-1 in another conversation: %d %s, want 409 idempotency_key_reused", code, ec)
		}
		for _, bad := range []string{strings.Repeat("k", 256), "two words"} {
			if code, _, ec := s.postKeyed(a.Token, path, bad, `{"text":"bad key (TEST)"}`); code != http.StatusBadRequest || ec != "invalid_idempotency_key" {
				t.Fatalf("key %.20q: %d %s, want 400 invalid_idempotency_key", bad, code, ec)
			}
		}
		// Without a key, the same text twice is two messages.
		s.postKeyed(a.Token, path, "", `{"text":"again (TEST)"}`)
		s.postKeyed(a.Token, path, "", `{"text":"again (TEST)"}`)
		if n := historyLen(t, b, conv.ID); n != 4 {
			t.Fatalf("two sends without a key: history %d, want 4", n)
		}
		// The direct-message endpoint honours the key too.
		body := fmt.Sprintf(`{"to":%q,"text":"direct (TEST)"}`, s.h("idem_b"))
		_, d1, _ := s.postKeyed(a.Token, "/api/v1/messages", "key-3", body)
		_, d2, _ := s.postKeyed(a.Token, "/api/v1/messages", "key-3", body)
		if d1.ID == 0 || !cmp.Equal(d1, d2) {
			t.Fatalf("direct send repeated: %+v then %+v", d1, d2)
		}
	})
}

// lossyTransport loses the answer to the first request that carries an
// Idempotency-Key, after the server has handled it, as a dropped connection
// would; it records the keys it saw.
type lossyTransport struct {
	lost atomic.Bool
	mu   sync.Mutex
	keys []string
}

func (l *lossyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.Header.Get("Idempotency-Key")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || key == "" {
		return resp, err
	}
	l.mu.Lock()
	l.keys = append(l.keys, key)
	l.mu.Unlock()
	if l.lost.CompareAndSwap(false, true) {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, nil
}

// TestClientRetriesWithItsKey: the SDK gives each send a key and, when the
// answer is lost, sends again with the same key: the message is stored
// once and the caller gets it.
func TestClientRetriesWithItsKey(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		a, b := s.user("retry_a", 30, ""), s.user("retry_b", 30, "")
		s.connect(a, s.h("retry_b"), b)
		conv, err := a.CreateConversation(t.Context(), client.ConversationRequest{Members: []string{s.h("retry_b")}})
		if err != nil {
			t.Fatal(err)
		}
		lossy := &lossyTransport{}
		a.HTTP = &http.Client{Transport: lossy}
		m, err := a.SendText(t.Context(), conv.ID, "through a bad connection (TEST)")
		if err != nil {
			t.Fatalf("send with the first answer lost: %v", err)
		}
		if len(lossy.keys) != 2 || lossy.keys[0] != lossy.keys[1] || lossy.keys[0] == "" {
			t.Fatalf("keys sent: %q; want one key, twice", lossy.keys)
		}
		if n := historyLen(t, b, conv.ID); n != 1 {
			t.Fatalf("history holds %d messages, want 1", n)
		}
		img, err := a.SendImage(t.Context(), conv.ID, "pic.png", "image/png", texturedPNG(t), "")
		if err != nil || img.ID == m.ID {
			t.Fatalf("next send: %+v, %v", img, err)
		}
		if len(lossy.keys) != 3 || lossy.keys[2] == lossy.keys[0] {
			t.Fatalf("the next send's key: %q; want a new one", lossy.keys)
		}
	})
}

package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/safety/images"
)

// sendImageRaw posts an image message as c and returns the status, error
// code and Retry-After of the answer.
func sendImageRaw(t *testing.T, c *client.Client, conversationID int64, data []byte) answer {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="image"; filename="p.png"`)
	h.Set("Content-Type", "image/png")
	part, _ := mw.CreatePart(h)
	part.Write(data)
	mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", c.BaseURL, conversationID), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	var eb client.ErrorBody
	if raw := bytes.TrimSpace(body); len(raw) > 0 && resp.StatusCode >= 400 {
		if err := json.Unmarshal(raw, &eb); err == nil {
			a.code = eb.Error.Code
		}
	}
	return a
}

// handleOf is the handle the server gave c's account.
func handleOf(t *testing.T, c *client.Client) string {
	t.Helper()
	me, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return me.Handle
}

// Twenty uploads at once of a 190 KB PNG declaring 7000×7000 pixels, under
// the 50-megapixel limit, took the server to 3.8 GB: decoding was bounded
// by pixels alone. Now each decode takes its estimated memory from a
// budget: an image that needs more than the whole budget is refused before
// decoding, and while the budget is taken an upload is answered 503 with
// Retry-After — the same answer toward a young person as toward an adult,
// with nothing delivered or kept.
func TestAttackImageDecodingBudget(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			small := texturedPNG(t)
			cfg, err := png.DecodeConfig(bytes.NewReader(small))
			if err != nil {
				t.Fatal(err)
			}
			// Room for the small image, once.
			mem := imaging.NewMemory(imaging.DecodeBytes(imaging.PNG, cfg, small), 0, nil)
			st := open(t)
			scanner, err := images.New(images.Config{Limits: imaging.Limits{Memory: mem}}, images.Deps{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := scanner.Load(t.Context()); err != nil {
				t.Fatal(err)
			}
			s := newScannedStack(t, st, nil, scanner)
			ctx := t.Context()
			adult, teen, other := s.user("budgetadult", 35, ""), s.user("budgetteen", 14, ""), s.user("budgetother", 36, "")
			adultHandle := handleOf(t, adult)
			s.connect(teen, adultHandle, adult)
			s.connect(other, adultHandle, adult)
			withTeen, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{handleOf(t, teen)}})
			if err != nil {
				t.Fatal(err)
			}
			withAdult, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{handleOf(t, other)}})
			if err != nil {
				t.Fatal(err)
			}

			// A small file that needs more than the whole budget to decode.
			var big bytes.Buffer
			png.Encode(&big, image.NewGray(image.Rect(0, 0, 2000, 2000)))
			if a := sendImageRaw(t, adult, withAdult.ID, big.Bytes()); a.status != http.StatusBadRequest || a.code != imaging.CodeTooLarge {
				t.Errorf("an image over the whole budget: %+v, want 400 %s", a, imaging.CodeTooLarge)
			}

			// Another decode holds the budget: both uploads wait for it, in
			// vain, and get the same answer.
			held, err := imaging.Decode(small, imaging.Limits{Memory: mem})
			if err != nil {
				t.Fatal(err)
			}
			toAdult := sendImageRaw(t, adult, withAdult.ID, small)
			toTeen := sendImageRaw(t, adult, withTeen.ID, small)
			if toAdult.status != http.StatusServiceUnavailable || toAdult.code != "busy" || toAdult.retryAfter != "1" {
				t.Errorf("upload to an adult with the budget taken: %+v, want 503 busy, Retry-After 1", toAdult)
			}
			if toTeen != toAdult {
				t.Errorf("the answer toward a young person differs: %+v against %+v", toTeen, toAdult)
			}
			for _, c := range []struct {
				who  *client.Client
				conv int64
			}{{teen, withTeen.ID}, {other, withAdult.ID}} {
				if page, _ := c.who.History(ctx, c.conv, client.HistoryQuery{}); len(page.Messages) != 0 {
					t.Errorf("refused uploads were kept: %+v", page.Messages)
				}
			}
			held.Release()
			if a := sendImageRaw(t, adult, withTeen.ID, small); a.status != http.StatusCreated {
				t.Errorf("upload once the budget is free: %+v", a)
			}
			if page, _ := teen.History(ctx, withTeen.ID, client.HistoryQuery{}); len(page.Messages) != 1 {
				t.Errorf("the checked image was not delivered: %+v", page)
			}
		})
	}
}

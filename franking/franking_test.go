package franking_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/franking"
)

// clock is an injected time source that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func sampleMessage() franking.Message {
	return franking.Message{
		Text: "see you at the climbing wall ✓",
		Attachments: []franking.Attachment{{
			SHA256: sha256.Sum256([]byte("synthetic image bytes")),
			Key:    bytes.Repeat([]byte{7}, 44),
			BlobID: "blob-0001",
		}},
	}
}

func sampleContext(t time.Time) franking.Context {
	return franking.Context{
		SenderAccount:    101,
		SenderDevice:     "DEVICEA1",
		RecipientAccount: 202,
		ConversationID:   9,
		ServerTime:       t,
		MessageID:        5555,
	}
}

func TestMessageRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    franking.Message
	}{
		{"empty", franking.Message{}},
		{"text only", franking.Message{Text: "hello"}},
		{"unicode and attachment", sampleMessage()},
		{"two attachments, no text", franking.Message{Attachments: []franking.Attachment{
			{SHA256: sha256.Sum256([]byte("a")), Key: []byte{1}, BlobID: "a"},
			{SHA256: sha256.Sum256([]byte("b")), Key: []byte{2, 3}, BlobID: "b"},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := tt.m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got, err := franking.ParseMessage(enc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.m, got, cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMessageUnambiguous shows that moving bytes between fields changes the
// encoding: the property the commitment relies on.
func TestMessageUnambiguous(t *testing.T) {
	a := franking.Message{Text: "ab", Attachments: []franking.Attachment{{Key: []byte("c"), BlobID: "d"}}}
	b := franking.Message{Text: "a", Attachments: []franking.Attachment{{Key: []byte("bc"), BlobID: "d"}}}
	c := franking.Message{Text: "a", Attachments: []franking.Attachment{{Key: []byte("b"), BlobID: "cd"}}}
	seen := map[string]string{}
	for name, m := range map[string]franking.Message{"a": a, "b": b, "c": c} {
		enc, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if other, ok := seen[string(enc)]; ok {
			t.Errorf("messages %s and %s share an encoding", name, other)
		}
		seen[string(enc)] = name
	}
}

func TestParseMessageErrors(t *testing.T) {
	good, err := sampleMessage().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	bad := func(edit func([]byte) []byte) []byte { return edit(bytes.Clone(good)) }
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "version: need 1 bytes"},
		{"version", string(bad(func(b []byte) []byte { b[0] = 2; return b })), "version 2, want 1"},
		{"truncated", string(good[:len(good)-3]), "attachment 0 blob id: need"},
		{"trailing", string(append(bytes.Clone(good), 0)), "1 trailing bytes"},
		{"huge text length", "\x01\xff\xff\xff\xff", "text: 4294967295 bytes, at most"},
		{"too many attachments", "\x01\x00\x00\x00\x00\x00\x00\x01\x00", "256 attachments"},
		{"invalid utf-8", "\x01\x00\x00\x00\x01\xff\x00\x00\x00\x00", "text: not valid UTF-8"},
		{"empty key", "\x01\x00\x00\x00\x00\x00\x00\x00\x01" + strings.Repeat("h", 32) + "\x00\x00\x00\x00\x00\x00\x00\x01b", "attachment 0: key of 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := franking.ParseMessage([]byte(tt.in))
			checkMalformed(t, err, tt.want)
		})
	}
}

func checkMalformed(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if !errors.Is(err, franking.ErrMalformed) || !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("error %v is not ErrMalformed and ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestContextRoundTrip(t *testing.T) {
	c := sampleContext(time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("BST", 3600)))
	c.SenderAccount = -1 // any int64 survives
	enc, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := franking.ParseContext(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ServerTime.Equal(c.ServerTime) || got.ServerTime.Location() != time.UTC {
		t.Errorf("server time = %v, want %v in UTC", got.ServerTime, c.ServerTime)
	}
	got.ServerTime = c.ServerTime
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestContextErrors(t *testing.T) {
	now := newClock().Now()
	tests := []struct {
		name string
		c    franking.Context
		want string
	}{
		{"no device", franking.Context{ServerTime: now}, "sender device: 0 bytes"},
		{"long device", franking.Context{SenderDevice: strings.Repeat("d", 65), ServerTime: now}, "sender device: 65 bytes"},
		{"no time", franking.Context{SenderDevice: "D"}, "server time: not set"},
		{"time out of range", franking.Context{SenderDevice: "D", ServerTime: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, "outside the years"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.MarshalBinary()
			checkMalformed(t, err, tt.want)
		})
	}
	good, err := sampleContext(now).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"truncated": good[:20],
		"trailing":  append(bytes.Clone(good), 1),
		"version":   append([]byte{9}, good[1:]...),
	} {
		t.Run("parse "+name, func(t *testing.T) {
			_, err := franking.ParseContext(in)
			checkMalformed(t, err, "")
		})
	}
}

func TestCommitVerify(t *testing.T) {
	kf := franking.NewKey()
	m := sampleMessage()
	cf, err := franking.Commit(kf, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := franking.Verify(kf, cf, m); err != nil {
		t.Fatalf("honest message refused: %v", err)
	}
	altered := sampleMessage()
	altered.Text += "!"
	swapped := sampleMessage()
	swapped.Attachments[0].SHA256[0] ^= 1
	otherBlob := sampleMessage()
	otherBlob.Attachments[0].BlobID = "blob-0002"
	otherKey := franking.NewKey()
	tests := []struct {
		name string
		kf   []byte
		m    franking.Message
	}{
		{"altered text", kf, altered},
		{"other attachment", kf, swapped},
		{"other blob", kf, otherBlob},
		{"wrong key", otherKey, m},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := franking.Verify(tt.kf, cf, tt.m)
			if !errors.Is(err, franking.ErrCommitment) {
				t.Errorf("Verify = %v, want ErrCommitment", err)
			}
		})
	}
	if _, err := franking.Commit(kf[:16], m); !errors.Is(err, franking.ErrMalformed) {
		t.Errorf("short key: %v, want ErrMalformed", err)
	}
	if bytes.Equal(kf, otherKey) {
		t.Error("NewKey returned the same key twice")
	}
}

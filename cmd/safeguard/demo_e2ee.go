package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/secure"
	"github.com/safeguard-dev/safeguard/franking"
)

// e2eeChat is the demo's end-to-end encrypted part: joanne and uncle_raj
// chat through their apps' E2EE, the demo shows what the server holds beside
// what the recipient reads, and a report of a message is verified.
func (d *demo) e2eeChat(ctx context.Context, conv *client.Conversation) error {
	d.heading("Their apps encrypt on the device; the server relays what it cannot read")
	open := func(handle, device string) (*secure.Session, error) {
		// The demo keeps the devices in memory; `safeguard chat` seals them
		// on disk under a passphrase.
		return secure.Open(ctx, d.users[handle], secure.Options{DeviceName: device, OneTimeKeys: 10})
	}
	jo, err := open("joanne", "JOANNE-PHONE")
	if err != nil {
		return err
	}
	raj, err := open("uncle_raj", "RAJ-LAPTOP")
	if err != nil {
		return err
	}
	const text = "Are we still on for the climbing wall on Sunday?"
	sent, err := jo.Send(ctx, conv.ID, text)
	if err != nil {
		return err
	}
	d.say("   joanne's phone registers its keys, claims a one-time key of Raj's laptop, and sends %q.", text)
	stored, err := d.storedEnvelope(ctx, "uncle_raj", conv.ID, sent.ID)
	if err != nil {
		return err
	}
	d.say("   What the server holds for message %d: %d bytes of ciphertext, %s", sent.ID, len(stored), shortHex(stored))
	got, err := raj.Sync(ctx)
	if err != nil {
		return err
	}
	for _, m := range got.Messages {
		d.say("   What uncle_raj's laptop reads (decrypted on the device, franking checked): %q", m.Text)
	}
	if after, err := d.storedEnvelope(ctx, "uncle_raj", conv.ID, sent.ID); err == nil {
		d.say("   Once every device has it, the server drops the envelope: %d bytes left. History lives on the devices.", len(after))
	}

	photo := demoImage()
	if _, err := raj.SendImage(ctx, conv.ID, "image/png", photo, "the new route"); err != nil {
		return err
	}
	got, err = jo.Sync(ctx)
	if err != nil {
		return err
	}
	for _, m := range got.Messages {
		for i := range m.Attachments {
			blob, err := d.users["joanne"].Blob(ctx, conv.ID, m.Attachments[i].BlobID)
			if err != nil {
				return err
			}
			img, err := jo.Image(ctx, m, i)
			if err != nil {
				return err
			}
			d.say("   Raj sends a photo: the server stores an opaque %d-byte blob (%s); Joanne's phone decrypts", len(blob), shortHex(blob))
			d.say("   it to %d bytes of %s, checks its hash, and shows it with the caption %q.", len(img), m.Attachments[i].ContentType, m.Text)
		}
	}
	nj, err := jo.SafetyNumbers(ctx, conv.ID)
	if err != nil {
		return err
	}
	nr, err := raj.SafetyNumbers(ctx, conv.ID)
	if err != nil {
		return err
	}
	if len(nj) == 1 && len(nr) == 1 {
		d.say("   Safety number on Joanne's phone: %s", nj[0].Number)
		d.say("   Safety number on Raj's laptop:   %s (the same: no one swapped their keys)", nr[0].Number)
	}

	d.heading("A message from an end-to-end encrypted chat is reported, and the report verified")
	const bad = "Delete this chat after you read it, and don't tell your sister about our meeting."
	if _, err := jo.Send(ctx, conv.ID, bad); err != nil {
		return err
	}
	got, err = raj.Sync(ctx)
	if err != nil || len(got.Messages) == 0 {
		return fmt.Errorf("raj receives the message to report: %v", err)
	}
	m := got.Messages[0]
	res, err := raj.Report(ctx, conv.ID, m.ID, "")
	if err != nil {
		return err
	}
	d.say("   uncle_raj reports message %d: the app reveals the message and its franking key, with the receipt", m.ID)
	d.say("   the server gave it. The server checks the receipt: verified; detection %d opened for the moderators.", res.DetectionID)
	// A forger who changes the words gets nowhere.
	rep, err := secure.ReportOf(m)
	if err != nil {
		return err
	}
	rep.Message.Text = "Joanne threatened me."
	_, errForged := d.postReport(ctx, "uncle_raj", rep)
	d.say("   The same report with the text changed: %s", d.answer(errForged))
	_, errAgain := raj.Report(ctx, conv.ID, m.ID, "")
	d.say("   The same report again:                %s", d.answer(errAgain))
	return nil
}

// storedEnvelope returns the envelope the server still holds for a message,
// as a member's history shows it.
func (d *demo) storedEnvelope(ctx context.Context, handle string, conv, id int64) ([]byte, error) {
	page, err := d.users[handle].History(ctx, conv, client.HistoryQuery{Limit: 10})
	if err != nil {
		return nil, err
	}
	for _, m := range page.Messages {
		if m.ID == id {
			return m.Envelope, nil
		}
	}
	return nil, fmt.Errorf("message %d not in the history", id)
}

func (d *demo) postReport(ctx context.Context, handle string, rep franking.Report) (*client.ReportResult, error) {
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	return d.users[handle].ReportFranking(ctx, client.FrankingReportRequest{Report: b})
}

// shortHex shows the start and end of b in hex.
func shortHex(b []byte) string {
	if len(b) <= 24 {
		return hex.EncodeToString(b)
	}
	return hex.EncodeToString(b[:16]) + "…" + hex.EncodeToString(b[len(b)-8:])
}

// demoImage is a small generated picture.
func demoImage() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := range 32 {
		for x := range 48 {
			img.Set(x, y, color.RGBA{R: byte(120 + x), G: byte(80 + 3*y), B: byte(200 - x - y), A: 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

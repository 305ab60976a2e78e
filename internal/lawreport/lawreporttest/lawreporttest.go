// Package lawreporttest provides a synthetic, harmless incident for tests and
// demos of the law-enforcement reports: a 15-year-old in Bedford, an adult in
// Cambridge, and a generated test image that stands in a test hash bank. No
// real person, image or hash is in it: the addresses are from the ranges set
// aside for documentation (RFC 5737, RFC 3849) and the PDQ hash is made up.
package lawreporttest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/netip"
	"time"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
)

// Reference is the report reference of the synthetic incident.
const Reference = "SG-TEST-2026-000123"

// Now is the instant the synthetic package is built.
var Now = time.Date(2026, 5, 4, 16, 45, 0, 0, time.UTC)

// PDQ is the made-up PDQ hash of the test image's bank entry.
const PDQ = "c3a5f00f0ff0c3a55a3c0ff0f00fa5c33c5aa5c30ff0f00f5a3cc3a50ff00ff0"

// Image returns a 64×64 PNG with texture (stripes and noise), different for
// each seed: a harmless picture that a test can put into a test bank.
func Image(seed uint32) []byte {
	const n = 64
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	x := seed*2654435761 + 1
	for py := 0; py < n; py++ {
		for px := 0; px < n; px++ {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			noise := float64(x%64) - 32
			s := 127 + 90*math.Sin(float64(px+int(seed%7))*0.35)*math.Cos(float64(py)*0.21)
			v := func(off float64) uint8 { return uint8(math.Max(0, math.Min(255, s+noise+off))) }
			img.SetNRGBA(px, py, color.NRGBA{R: v(0), G: v(float64(px) - 32), B: v(float64(py) - 32), A: 255})
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	return buf.Bytes()
}

// Builder returns a Builder configured as a test deployment, with its clock
// fixed at Now.
func Builder() *lawreport.Builder {
	return &lawreport.Builder{
		ContactEmail:    "reports@safeguard.invalid",
		Reporter:        lawreport.Reporter{FirstName: "Test", LastName: "Reporter", Email: "reports@safeguard.invalid"},
		CompanyTemplate: "Safeguard test deployment. Synthetic data only.",
		Now:             func() time.Time { return Now },
	}
}

func at(hms string) time.Time {
	t, err := time.Parse(time.DateTime, "2026-05-04 "+hms)
	if err != nil {
		panic(err)
	}
	return t
}

func date(s string) safeguard.Date {
	d, err := safeguard.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Incident returns the synthetic incident with img as its one image: a
// known (test-bank) image sent by an adult in Cambridge to a 15-year-old in
// Bedford, with whom the adult is still in contact. It is marked Test.
func Incident(img []byte) *lawreport.Incident {
	m, s := md5.Sum(img), sha256.Sum256(img)
	return &lawreport.Incident{
		Reference:       Reference,
		Test:            true,
		Service:         "Safeguard",
		App:             safeguard.DefaultApp,
		Type:            lawreport.CSAMKnown,
		DetectionSource: lawreport.HashMatch,
		DetectedAt:      at("16:20:07"),
		Summary:         "A synthetic test image that is in a test hash bank was sent by an adult to a 15-year-old in a direct chat. The message was held and not delivered.",
		Signals:         []lawreport.Signal{lawreport.SignalOngoingContact},
		Content: []lawreport.Content{{
			Kind:         lawreport.KindImage,
			FileName:     "beach.png",
			SentAt:       at("16:20:05"),
			MD5:          hex.EncodeToString(m[:]),
			SHA256:       hex.EncodeToString(s[:]),
			PDQ:          PDQ,
			PDQQuality:   87,
			MatchedBanks: []safeguard.BankMatch{{Bank: "test-bank", Entry: "test-entry-0001", Distance: 4}},
			EXIF:         map[string]string{"Make": "SyntheticCam", "Software": "safeguard test"},
			EvidenceID:   "ev-000042",
			Upload: &lawreport.Connection{
				IP: netip.MustParseAddr("203.0.113.45"), Port: 51234, At: at("16:20:04"),
				Event: lawreport.EventUpload, Device: "android 3.2",
			},
			ContentType: "image/png",
			Data:        img,
		}},
		ReportedUsers: []lawreport.User{{
			AccountID:      "1001",
			Handle:         "synthetic_adult",
			DateOfBirth:    date("1990-02-11"),
			AgeAssurance:   safeguard.SelfDeclared,
			CreatedAt:      time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
			Status:         lawreport.StatusSuspended,
			LocalAuthority: "Cambridge",
			Connections: []lawreport.Connection{
				{IP: netip.MustParseAddr("203.0.113.45"), Port: 51200, At: at("15:58:00"), Event: lawreport.EventLogin, Device: "android 3.2"},
				{IP: netip.MustParseAddr("203.0.113.45"), Port: 51234, At: at("16:20:04"), Event: lawreport.EventUpload, Device: "android 3.2"},
				{IP: netip.MustParseAddr("2001:db8::17"), At: time.Date(2026, 4, 28, 21, 4, 0, 0, time.UTC), Event: lawreport.EventLogin, Device: "web"},
			},
			ConnectedAccounts: []lawreport.ConnectedAccount{{AccountID: "1002", Handle: "synthetic_adult_2", Relation: "same_device"}},
		}},
		Children: []lawreport.User{{
			AccountID:      "2001",
			Handle:         "synthetic_teen",
			DateOfBirth:    date("2010-09-14"),
			AgeAssurance:   safeguard.SelfDeclared,
			CreatedAt:      time.Date(2025, 9, 20, 17, 0, 0, 0, time.UTC),
			Status:         lawreport.StatusActive,
			LocalAuthority: "E06000055",
			Connections: []lawreport.Connection{
				{IP: netip.MustParseAddr("198.51.100.23"), Port: 40000, At: at("16:02:10"), Event: lawreport.EventLogin, Device: "ios 3.2"},
			},
		}},
		Declaration: lawreport.Declaration{
			By:        "Test Reporter",
			Role:      "Trust and Safety Lead (synthetic)",
			Statement: "The information in this report is true to the best of the service's knowledge.",
			MadeAt:    at("16:40:00"),
		},
		Thread: []lawreport.ThreadMessage{
			{ID: "m-501", SentAt: at("16:18:30"), SenderID: "2001", SenderHandle: "synthetic_teen", Kind: "text", Text: "(synthetic test message 1)"},
			{ID: "m-502", SentAt: at("16:19:10"), SenderID: "1001", SenderHandle: "synthetic_adult", Kind: "text", Text: "(synthetic test message 2)"},
			{ID: "m-503", SentAt: at("16:20:05"), SenderID: "1001", SenderHandle: "synthetic_adult", Kind: "image", ContentIndex: 1, Held: true},
		},
	}
}

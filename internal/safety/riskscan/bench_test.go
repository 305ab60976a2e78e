package riskscan

import (
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/safety/safetytest"
)

// BenchmarkRiskPipeline measures the risk scanner on one message of a
// conversation between an adult and a 13-year-old with 50 messages scored
// before, on SQLite: "score" is Scan alone (one read transaction for the
// stored state and the members' facts, normalisation, signals, every rule,
// the state encoded); "store" stores the message without scanning, the
// baseline; "score+store" scans, stores the message and saves the state in
// the same transaction (Verdict.Record).
//
//	go test ./internal/safety/riskscan -run '^$' -bench RiskPipeline -benchtime 2000x
func BenchmarkRiskPipeline(b *testing.B) {
	for _, mode := range []string{"score", "store", "score+store"} {
		b.Run(mode, func(b *testing.B) {
			w := newWorld(b, Config{})
			adult, teen := w.Account("adult", 35), w.Account("teen", 13)
			w.Connect(teen, adult, t0.AddDate(0, -2, 0))
			c := w.Conversation(false, adult, teen)
			to := []*safeguard.Account{teen}
			for i := range 50 {
				w.send(c, adult, to, "so what are you up to this weekend, anything fun planned?", t0.Add(time.Duration(i)*time.Second))
			}
			text := "you looked great at the match, send me a pic of you"
			b.ResetTimer()
			for i := range b.N {
				ct := safetytest.Content(c, adult, to, text, t0.Add(time.Hour+time.Duration(i)*time.Second))
				var v messaging.Verdict
				if mode != "store" {
					var err error
					if v, err = w.risk.Scan(b.Context(), ct); err != nil {
						b.Fatal(err)
					}
				}
				if mode != "score" {
					w.Deliver(ct, v)
				}
			}
		})
	}
}

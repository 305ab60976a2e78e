// Package safety is the safety pipeline on the message path: it composes
// the scanners that see what the server can see of each message before it is
// delivered (messaging.Scanner). Scanners runs several of them on each
// message and merges their verdicts; NewDetection is the detection every
// scanner starts from. The scanners live in packages of their own, which
// import this one and never each other:
//
//   - internal/safety/riskscan scores conversations that include a minor with
//     the grooming and sextortion rules of internal/risk and shows the young
//     person a support notice when a rule fires;
//   - internal/safety/urls holds messages with links on a URL list;
//   - internal/safety/images matches images against the hash banks (with
//     retroactive matching of recent media), and internal/safety/banks
//     administers the banks themselves.
//
// A finding is a safeguard.Detection written, with the detection.created
// outbox event that opens a case, in the transaction that stores the message
// (Verdict.Record): a crash never leaves a held message without its case.
// The sender is never told.
package safety

import (
	"context"
	"errors"
	"strings"
	"sync"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// Scanners runs several scanners on each message, at the same time, and
// merges their verdicts: the message is held if any holds; each scanner's
// Record runs in the message's transaction and each After after the commit,
// in the order of the list.
//
// If a scanner fails, Scan fails (and the messaging service holds the
// message toward a minor, fail closed) unless another scanner holds it
// anyway, in which case the holding verdicts stand and the failure adds
// nothing: the message is not delivered either way.
type Scanners []messaging.Scanner

// Scan implements messaging.Scanner.
func (ss Scanners) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
	verdicts := make([]messaging.Verdict, len(ss))
	errs := make([]error, len(ss))
	if len(ss) == 1 {
		verdicts[0], errs[0] = ss[0].Scan(ctx, c)
	} else {
		var wg sync.WaitGroup
		for i, s := range ss {
			wg.Go(func() { verdicts[i], errs[i] = s.Scan(ctx, c) })
		}
		wg.Wait()
	}
	var ok []messaging.Verdict
	hold := false
	for i, v := range verdicts {
		if errs[i] == nil {
			ok = append(ok, v)
			hold = hold || v.Hold
		}
	}
	if err := errors.Join(errs...); err != nil && !hold {
		return messaging.Verdict{}, err
	}
	return merge(ok), nil
}

// merge combines verdicts: held if any holds, with the reasons of those
// that hold; Record and After chained in order; the first question for the
// sender (Ask), and blurred if any blurs. The messaging service asks only
// about a message that is not held.
func merge(vs []messaging.Verdict) messaging.Verdict {
	var out messaging.Verdict
	var reasons []string
	var records []func(context.Context, messaging.VerdictTx, *safeguard.Message) error
	var afters []func(context.Context, *safeguard.Message)
	for _, v := range vs {
		if out.Ask == nil {
			out.Ask = v.Ask
		}
		out.Blur = out.Blur || v.Blur
		if v.Hold {
			out.Hold = true
			if v.Reason != "" {
				reasons = append(reasons, v.Reason)
			}
		}
		if v.Record != nil {
			records = append(records, v.Record)
		}
		if v.After != nil {
			afters = append(afters, v.After)
		}
	}
	out.Reason = strings.Join(reasons, ",")
	switch len(records) {
	case 0:
	case 1:
		out.Record = records[0]
	default:
		out.Record = func(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
			for _, r := range records {
				if err := r(ctx, tx, m); err != nil {
					return err
				}
			}
			return nil
		}
	}
	switch len(afters) {
	case 0:
	case 1:
		out.After = afters[0]
	default:
		out.After = func(ctx context.Context, m *safeguard.Message) {
			for _, a := range afters {
				a(ctx, m)
			}
		}
	}
	return out
}

package messaging

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// discriminatorTries is how many discriminators of one width sign-up tries
// before it moves to one more digit.
const discriminatorTries = 5

// validNickname refuses a nickname that ends in a dot and digits: only the
// server writes those, so asking for a whole handle, anyone's or nobody's,
// gets this one answer.
func validNickname(h string) error {
	bad := safeguard.Invalid("invalid_handle",
		"A nickname must be %d to %d letters, digits, dots, dashes or underscores, starting with a letter or digit.",
		MinNickname, MaxNickname)
	if len(h) < MinNickname || len(h) > MaxNickname {
		return bad
	}
	if safeguard.HasDiscriminator(h) {
		return safeguard.Invalid("invalid_handle",
			"Choose a nickname without a dot and digits at the end: Safeguard adds those to make your handle.")
	}
	for i, r := range h {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", r)) {
			return bad
		}
	}
	return nil
}

var errConfusable = safeguard.Invalid("handle_confusable",
	"That nickname looks too much like someone else's. Please choose another.")

// lookalike refuses a nickname confusable with the nickname of an account a
// could reach: for an adult, adults only; for a young person, anyone. So the
// answer to an adult is the same whether or not a young person has it.
func lookalike(ctx context.Context, tx store.Tx, a *safeguard.Account, nickname string, now time.Time) error {
	var bornBy safeguard.Date
	if a.Band(now) == safeguard.Adult {
		bornBy = safeguard.BornBy(safeguard.AdultFrom, now)
	}
	found, err := tx.LookalikeNickname(ctx, nickname, bornBy)
	if err != nil {
		return err
	}
	if found {
		return errConfusable
	}
	return nil
}

// createWithDiscriminator stores a with the handle nickname.discriminator,
// trying random discriminators of two digits, then more when a nickname is
// crowded, until one is free: no other handle has it or its skeleton.
func createWithDiscriminator(ctx context.Context, tx store.Tx, a *safeguard.Account, nickname, hash string) error {
	for digits := MinDiscriminator; digits <= MaxDiscriminator; digits++ {
		for range discriminatorTries {
			a.Handle = nickname + "." + discriminator(digits)
			err := tx.CreateAccount(ctx, a, hash)
			if !errors.Is(err, safeguard.ErrConflict) {
				return err
			}
		}
	}
	return safeguard.Errorf(safeguard.ErrUnavailable, "handle_crowded",
		"We couldn't find a free handle for that nickname. Please try again, or choose another.")
}

// discriminator returns a random number of the given digits: 01 to 99 for
// two, and no leading zero for more, so that no two discriminators differ by
// zeros alone.
func discriminator(digits int) string {
	if digits == MinDiscriminator {
		return fmt.Sprintf("%02d", 1+randN(99))
	}
	lo := 1
	for range digits - 1 {
		lo *= 10
	}
	return strconv.Itoa(lo + randN(9*lo))
}

// randN returns a uniform random number in [0, n) from the system's
// randomness, so that nobody can foretell the next discriminator.
func randN(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n))) // crypto/rand.Reader never fails
	return int(v.Int64())
}

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
)

// widthHeadroom is how many times more discriminators a width has than the
// accounts counted as holding its nickname when a new one is given: those
// never fill more than 1/widthHeadroom of it.
const widthHeadroom = 20

// discriminatorTries is how many random discriminators of one width sign-up
// tries before it moves to one more digit. At a width at most 1/widthHeadroom
// full, that many collisions in a row do not happen.
const discriminatorTries = 10

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
func lookalike(ctx context.Context, tx Tx, a *safeguard.Account, nickname string, now time.Time) error {
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
// no other handle having it or its skeleton. The width of the discriminator
// comes from how many accounts a could reach already hold the nickname
// (holderWidth), and the digits are random within it: so a width is
// never more than a twentieth full, whoever signs up how often, and nobody
// learns which discriminators are taken by using up the free ones. A
// collision, rare at that fill, tries other digits, then a wider width;
// never a narrower one.
func createWithDiscriminator(ctx context.Context, tx Tx, a *safeguard.Account, nickname, hash string, now time.Time) error {
	var bornBy safeguard.Date
	if a.Band(now) == safeguard.Adult {
		bornBy = safeguard.BornBy(safeguard.AdultFrom, now)
	}
	holders, err := tx.NicknameHolders(ctx, nickname, bornBy)
	if err != nil {
		return err
	}
	for digits := holderWidth(holders); digits <= MaxDiscriminator; digits++ {
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

// holderWidth returns the digits of a new discriminator for a nickname that
// holders accounts hold: the fewest, from MinDiscriminator, whose
// discriminators number at least widthHeadroom times holders+1.
func holderWidth(holders int) int {
	digits := MinDiscriminator
	for digits < MaxDiscriminator && slots(digits) < widthHeadroom*(holders+1) {
		digits++
	}
	return digits
}

// slots returns how many discriminators have the given digits: 99 for two
// (01 to 99), 9×10^(digits-1) for more (no leading zero).
func slots(digits int) int {
	if digits == MinDiscriminator {
		return 99
	}
	n := 9
	for range digits - 1 {
		n *= 10
	}
	return n
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

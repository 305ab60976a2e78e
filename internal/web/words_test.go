package web_test

import (
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// An unknown council is answered in words a child can act on: type the town
// or council, or leave it empty — not "ONS code".
func TestUnknownCouncilIsSaidPlainly(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		_, err := client.New(s.url).SignUp(t.Context(), client.SignUpRequest{Nickname: "la_kit", Password: pw, BirthDate: born(11), LocalAuthority: "Atlantis"})
		e := apiErr(t, err)
		if e.Code != "unknown_local_authority" || strings.Contains(e.Message, "ONS") || !strings.Contains(e.Message, "town or council") {
			t.Errorf("unknown council: %v", err)
		}
	})
}

package safeguard

import "testing"

func TestParseModeratorRole(t *testing.T) {
	tests := []struct {
		in   string
		want ModeratorRole
		ok   bool
	}{
		{"moderator", RoleModerator, true},
		{"Senior", RoleSenior, true},
		{"senior-moderator", RoleSenior, true},
		{"senior_moderator", RoleSenior, true},
		{" senior moderator ", RoleSenior, true},
		{"admin", RoleAdmin, true},
		{"administrator", RoleAdmin, true},
		{"", "", false},
		{"root", "", false},
		{"senior admin", "", false},
	}
	for _, tt := range tests {
		got, err := ParseModeratorRole(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseModeratorRole(%q) = %q, %v; want %q (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && ErrorCode(err) != "invalid_role" {
			t.Errorf("ParseModeratorRole(%q): code %q", tt.in, ErrorCode(err))
		}
	}
}

func TestRoleOrder(t *testing.T) {
	for i, r := range Roles {
		for j, min := range Roles {
			if got := r.AtLeast(min); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", r, min, got)
			}
		}
		if ModeratorRole("x").AtLeast(r) || ModeratorRole("").AtLeast(r) {
			t.Errorf("an unknown role is at least %s", r)
		}
	}
}

func FuzzParseModeratorRole(f *testing.F) {
	for _, s := range []string{"moderator", "senior-moderator", "ADMIN", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseModeratorRole(s)
		if (err == nil) != r.Valid() {
			t.Fatalf("ParseModeratorRole(%q) = %q, %v", s, r, err)
		}
	})
}

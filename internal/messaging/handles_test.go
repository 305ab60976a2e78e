package messaging

import "testing"

// TestHolderWidth: the width of a new discriminator is the fewest digits
// with at least twenty discriminators for each account that will hold the
// nickname, the new one included.
func TestHolderWidth(t *testing.T) {
	tests := []struct{ holders, digits int }{
		{0, 2}, {3, 2}, // 20×4 = 80 ≤ 99
		{4, 3}, {44, 3}, // 20×45 = 900
		{45, 4}, {449, 4},
		{450, 5},
		{1 << 40, MaxDiscriminator},
	}
	for _, tt := range tests {
		if got := holderWidth(tt.holders); got != tt.digits {
			t.Errorf("holderWidth(%d) = %d, want %d", tt.holders, got, tt.digits)
		}
	}
	for d := MinDiscriminator; d <= MaxDiscriminator; d++ {
		for range 200 {
			v := discriminator(d)
			if len(v) != d || (d > MinDiscriminator && v[0] == '0') || v == "00" {
				t.Fatalf("discriminator(%d) = %q", d, v)
			}
		}
	}
}

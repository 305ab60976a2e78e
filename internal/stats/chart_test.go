package stats

import "testing"

// TestBarLabel checks the words after a bar: never a 0 standing for counts
// the table shows as <3 or withheld.
func TestBarLabel(t *testing.T) {
	tests := []struct {
		sum      int64
		counted  bool
		hasTotal bool
		total    Value
		missing  []string
		want     string
	}{
		{12, true, true, Num(40), []string{"App A <3"}, "12 of 40; App A <3"},
		{0, false, true, Num(5), []string{"App A <3", "App B withheld"}, "5 in all; App A <3, App B withheld"},
		{0, false, true, Suppress(Num(2), SuppressBelow), []string{"App A <3"}, "total <3; App A <3"},
		{4, true, true, Value{State: Withheld}, []string{"App B withheld"}, "4, total withheld; App B withheld"},
		{0, false, false, Value{}, []string{"App A <3"}, "App A <3"},
		{7, true, false, Value{}, nil, "7"},
	}
	for _, tt := range tests {
		if got := barLabel(tt.sum, tt.counted, tt.hasTotal, tt.total, tt.missing); got != tt.want {
			t.Errorf("barLabel(%d, %v, %v, %v, %v) = %q, want %q", tt.sum, tt.counted, tt.hasTotal, tt.total, tt.missing, got, tt.want)
		}
	}
}

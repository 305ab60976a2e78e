package risk

import "testing"

func TestDefaultLoads(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatalf("default rule set: %v", err)
	}
	if len(rs.Rules()) == 0 {
		t.Fatal("default rule set has no rules")
	}
}

package police

import "testing"

func TestLookupLocalAuthority(t *testing.T) {
	tests := []struct {
		in, force string
	}{
		{"Bedford", "E23000026"},
		{"E06000055", "E23000026"},
		{"e06000055", "E23000026"},
		{"Cambridge", "E23000023"},
		{"  cambridge ", "E23000023"},
		{"Barking & Dagenham", "E23000001"},
		{"City of London", "E23000034"},
		{"North Northamptonshire", "E23000022"}, // 2021 successor
		{"E06000065", "E23000009"},              // North Yorkshire, 2023
		{"Glasgow City", ScotlandCode},
		{"S12000049", ScotlandCode},
		{"Belfast", NorthernIrelandCode},
		{"Newry, Mourne and Down", NorthernIrelandCode},
		{"N09000003", NorthernIrelandCode},
		{"Cardiff", "W15000003"},
	}
	for _, tt := range tests {
		la, ok := LookupLocalAuthority(tt.in)
		if !ok {
			t.Errorf("LookupLocalAuthority(%q): not found", tt.in)
			continue
		}
		if la.ForceCode != tt.force {
			t.Errorf("LookupLocalAuthority(%q) = %s, want %s", tt.in, la.ForceCode, tt.force)
		}
	}
	for _, bad := range []string{"", "Atlantis", "E99999999", "X12000001", "S1200004"} {
		if la, ok := LookupLocalAuthority(bad); ok {
			t.Errorf("LookupLocalAuthority(%q) = %+v, want not found", bad, la)
		}
	}
}

func TestMatchForce(t *testing.T) {
	tests := []struct{ in, code string }{
		{"Bedfordshire", "E23000026"},
		{"Bedfordshire Police", "E23000026"},
		{"Cambridgeshire Constabulary", "E23000023"},
		{"Metropolitan Police Service", "E23000001"},
		{"Metropolitan Police", "E23000001"},
		{"Met Police", "E23000001"},
		{"Devon & Cornwall", "E23000035"},
		{"Devon and Cornwall Police", "E23000035"},
		{"City of London", "E23000034"},
		{"London, City of", "E23000034"},
		{"Hampshire", "E23000030"},
		{"Hampshire and Isle of Wight Constabulary", "E23000030"},
		{"Dyfed-Powys", "W15000004"},
		{"Police Scotland", ScotlandCode},
		{"PSNI", NorthernIrelandCode},
		{"E23000028", "E23000028"},
		{"Avon and Somerset Constabulary", "E23000036"},
		{"Avon & Somerset Constabulary", "E23000036"},
		{"Devon and Cornwall Constabulary", "E23000035"},
		{"Metropolitan Police Service (MPS)", "E23000001"},
		{"MPS", "E23000001"},
		{"City of London Police", "E23000034"},
		{"Thames Valley", "E23000029"},
		{"Thames Valley Police", "E23000029"},
		{"Hampshire & IOW", "E23000030"},
		{"GMP", "E23000005"},
		{"Norfolk Constabulary", "E23000024"},
		{"  essex  ", "E23000028"},
		{"Northamptonshire", "E23000022"},
		{"Dyfed Powys Police", "W15000004"},
		{"Police Service of Northern Ireland", NorthernIrelandCode},
	}
	for _, tt := range tests {
		f, ok := MatchForce(tt.in)
		if !ok || f.Code != tt.code {
			t.Errorf("MatchForce(%q) = %q, %v; want %q", tt.in, f.Code, ok, tt.code)
		}
	}
	for _, bad := range []string{"Gotham", "", "Police", "Constabulary", "East Total", "British Transport Police"} {
		if f, ok := MatchForce(bad); ok {
			t.Errorf("MatchForce(%q) = %+v, want not found", bad, f)
		}
	}
	if n := len(Forces()); n != 45 {
		t.Errorf("len(Forces()) = %d, want 45 territorial forces", n)
	}
}

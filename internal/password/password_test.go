package password

import (
	"strings"
	"testing"
)

var testCost = Argon2{Time: 1, MemoryKiB: 64, Threads: 1}

func TestCheck(t *testing.T) {
	good, err := testCost.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	tests := []struct {
		name, encoded, password string
		want                    bool
	}{
		{"right", good, "correct horse battery", true},
		{"wrong", good, "correct horse batterz", false},
		{"empty", "", "x", false},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1), "correct horse battery", false},
		{"other version", strings.Replace(good, "v=19", "v=16", 1), "correct horse battery", false},
		{"huge memory", strings.Join([]string{"", parts[1], parts[2], "m=99999999,t=1,p=1", parts[4], parts[5]}, "$"), "correct horse battery", false},
		{"huge time", strings.Join([]string{"", parts[1], parts[2], "m=64,t=1000,p=1", parts[4], parts[5]}, "$"), "correct horse battery", false},
		{"no threads", strings.Join([]string{"", parts[1], parts[2], "m=64,t=1,p=0", parts[4], parts[5]}, "$"), "correct horse battery", false},
		{"bad salt", strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"), "correct horse battery", false},
		{"short key", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"), "correct horse battery", false},
		{"extra field", good + "$x", "correct horse battery", false},
	}
	for _, tt := range tests {
		if got := Check(tt.encoded, tt.password); got != tt.want {
			t.Errorf("%s: check = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// FuzzCheck feeds stored-hash strings to the parser, which must never panic,
// and passwords to a real hash, which must accept only its own.
func FuzzCheck(f *testing.F) {
	good, _ := testCost.Hash("pw")
	f.Add(good, "pw")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "pw")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$$", "")
	f.Add("$$$$$", "x")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		if !strings.Contains(encoded, "m=") || strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") {
			// Costly parameters are kept off the fuzzer; their bounds are
			// tested in TestCheck.
			Check(encoded, password)
		}
		if got := Check(good, password); got != (password == "pw") {
			t.Fatalf("Check(hash of \"pw\", %q) = %v", password, got)
		}
	})
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p := Generate()
		if len(p) != 24 || strings.Count(p, "-") != 4 {
			t.Fatalf("Generate() = %q, want five groups of four", p)
		}
		for _, r := range strings.ReplaceAll(p, "-", "") {
			if !strings.ContainsRune(passwordAlphabet, r) {
				t.Fatalf("Generate() = %q: %q is not in the alphabet", p, r)
			}
		}
		if seen[p] {
			t.Fatalf("Generate repeated %q", p)
		}
		seen[p] = true
	}
}

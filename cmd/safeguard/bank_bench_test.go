package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBankBench(t *testing.T) {
	for _, clustered := range []string{"", "--clustered"} {
		var out, errb bytes.Buffer
		args := []string{"bank", "bench", "--size", "3000", "--queries", "40", "--dihedral", "--json"}
		if clustered != "" {
			args = append(args, clustered)
		}
		code := run(t.Context(), args, func(string) string { return "" }, nil, &out, &errb)
		if code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", args, code, errb.String())
		}
		var rep map[string]any
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
		}
		for _, k := range []string{"size", "queries", "index_qps", "brute_qps", "recall", "build_seconds", "bytes_per_hash", "dihedral_qps"} {
			if _, ok := rep[k]; !ok {
				t.Errorf("JSON lacks %q", k)
			}
		}
		if rep["recall"] != 1.0 || rep["extra_matches"] != 0.0 || rep["size"] != 3000.0 || rep["matches"].(float64) == 0 {
			t.Errorf("%s: recall %v, size %v, matches %v", clustered, rep["recall"], rep["size"], rep["matches"])
		}
	}
}

func TestBankUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"bank", "frobnicate"}, func(string) string { return "" }, nil, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "bench") {
		t.Errorf("usage does not list bench: %s", errb.String())
	}
}

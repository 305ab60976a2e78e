package hashbench

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/hashbank/mih"
)

func TestDataPlantsEveryDistance(t *testing.T) {
	for _, clustered := range []bool{false, true} {
		c := Config{Size: 5000, Queries: 40, Radius: 31, Clustered: clustered, Seed: 3}
		bank, queries := Data(c)
		if len(bank) != c.Size || len(queries) != c.Queries {
			t.Fatalf("clustered=%v: %d hashes, %d queries", clustered, len(bank), len(queries))
		}
		seen := map[int]bool{}
		for i := range queries {
			for _, h := range mih.BruteForce(bank, &queries[i], c.Radius+1, nil) {
				seen[int(h.Dist)] = true
			}
		}
		for d := 0; d <= c.Radius+1; d++ {
			if !seen[d] {
				t.Errorf("clustered=%v: no planted hash at distance %d", clustered, d)
			}
		}
	}
}

func TestWriteDump(t *testing.T) {
	bank := []mih.Hash{{1, 2, 3, 4}}
	queries := []mih.Hash{{5, 6, 7, 8}, {9, 10, 11, 12}}
	var b bytes.Buffer
	if err := writeDump(&b, 31, bank, queries); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	head := "hashbench 1\n"
	if string(data[:len(head)]) != head {
		t.Fatalf("dump starts %q", data[:len(head)])
	}
	var counts [3]uint64
	if err := binary.Read(bytes.NewReader(data[len(head):]), binary.LittleEndian, &counts); err != nil {
		t.Fatal(err)
	}
	if counts != [3]uint64{1, 2, 31} || len(data) != len(head)+24+3*32 {
		t.Fatalf("counts %v, %d bytes", counts, len(data))
	}
	if want := queries[1].Bytes(); !bytes.Equal(data[len(data)-32:], want[:]) {
		t.Errorf("last hash %x, want %x", data[len(data)-32:], want)
	}
}

package safety

import (
	"context"
	"errors"
	"slices"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// fixed is a scanner that answers with a fixed verdict, logging its Record
// and After calls.
type fixed struct {
	name string
	hold bool
	err  error
	log  *[]string
}

func (f fixed) Scan(context.Context, *messaging.Content) (messaging.Verdict, error) {
	if f.err != nil {
		return messaging.Verdict{}, f.err
	}
	return messaging.Verdict{
		Hold:   f.hold,
		Reason: map[bool]string{true: f.name}[f.hold],
		Record: func(context.Context, messaging.VerdictTx, *safeguard.Message) error {
			*f.log = append(*f.log, "record "+f.name)
			return nil
		},
		After: func(context.Context, *safeguard.Message) { *f.log = append(*f.log, "after "+f.name) },
	}, nil
}

func TestScanners(t *testing.T) {
	errScan := errors.New("cannot scan")
	tests := []struct {
		name       string
		scanners   func(log *[]string) Scanners
		wantHold   bool
		wantReason string
		wantErr    bool
		wantLog    []string
	}{
		{"none", func(*[]string) Scanners { return nil }, false, "", false, nil},
		{"one", func(l *[]string) Scanners { return Scanners{fixed{"a", false, nil, l}} }, false, "", false,
			[]string{"record a", "after a"}},
		{"hold if any holds", func(l *[]string) Scanners {
			return Scanners{fixed{"a", false, nil, l}, fixed{"b", true, nil, l}, fixed{"c", true, nil, l}}
		}, true, "b,c", false, []string{"record a", "record b", "record c", "after a", "after b", "after c"}},
		{"a failure fails the scan", func(l *[]string) Scanners {
			return Scanners{fixed{"a", false, nil, l}, fixed{"b", false, errScan, l}}
		}, false, "", true, nil},
		{"a hold stands over a failure", func(l *[]string) Scanners {
			return Scanners{fixed{"a", false, errScan, l}, fixed{"b", true, nil, l}}
		}, true, "b", false, []string{"record b", "after b"}},
	}
	for _, tt := range tests {
		var log []string
		v, err := tt.scanners(&log).Scan(t.Context(), &messaging.Content{})
		if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, errScan) {
			t.Errorf("%s: error %v", tt.name, err)
			continue
		}
		if v.Hold != tt.wantHold || v.Reason != tt.wantReason {
			t.Errorf("%s: hold %v reason %q, want %v %q", tt.name, v.Hold, v.Reason, tt.wantHold, tt.wantReason)
		}
		if v.Record != nil {
			if err := v.Record(t.Context(), nil, &safeguard.Message{}); err != nil {
				t.Fatal(err)
			}
		}
		if v.After != nil {
			v.After(t.Context(), &safeguard.Message{})
		}
		if !slices.Equal(log, tt.wantLog) {
			t.Errorf("%s: calls %q, want %q", tt.name, log, tt.wantLog)
		}
	}
}

// failing records with an error: the chain stops there, and the
// transaction with it.
type failing struct{}

func (failing) Scan(context.Context, *messaging.Content) (messaging.Verdict, error) {
	return messaging.Verdict{Record: func(context.Context, messaging.VerdictTx, *safeguard.Message) error {
		return errors.New("record failed")
	}}, nil
}

func TestScannersRecordError(t *testing.T) {
	var log []string
	v, err := Scanners{failing{}, fixed{"b", false, nil, &log}}.Scan(t.Context(), &messaging.Content{})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Record(t.Context(), nil, &safeguard.Message{}); err == nil || len(log) != 0 {
		t.Errorf("Record = %v, later records ran: %q", err, log)
	}
}

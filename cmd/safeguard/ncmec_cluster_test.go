package main

import (
	"context"
	"log/slog"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec/ncmectest"
	"github.com/safeguard-dev/safeguard/internal/lease"
	"github.com/safeguard-dev/safeguard/internal/store/postgres"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// TestClusterNCMECOnce: two servers on one database, each with reports
// directory of its own, never file one reference twice: the second is
// answered with the first's receipt, and one asked while another files the
// reference is refused as in progress, filing nothing.
func TestClusterNCMECOnce(t *testing.T) {
	fake := ncmectest.NewServer("esp-test", "synthetic-secret")
	t.Cleanup(fake.Close)
	db := pgtest.Schema(t)
	c := caseConfig{ncmecURL: fake.URL, ncmecUser: "esp-test", ncmecPassword: "synthetic-secret"}
	var subs []lawreport.Submitter
	var stores []*postgres.DB
	for range 2 {
		st, err := postgres.Open(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
		sub, err := ncmecSubmitter(c, st, &ncmec.DirStore{Dir: t.TempDir()}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	build := func(ref string) *lawreport.Package {
		inc := lawreporttest.Incident(lawreporttest.Image(1))
		inc.Reference = ref
		p, err := lawreporttest.Builder().Build(inc)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	first := build("SG-TEST-2026-000001")
	rec, err := subs[0].Submit(t.Context(), first)
	if err != nil {
		t.Fatal(err)
	}
	again, err := subs[1].Submit(t.Context(), first)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || again.ID != rec.ID {
		t.Errorf("the second server's filing: %+v, want the first's receipt %+v, existing", again, rec)
	}
	if n := len(fake.Finished()); n != 1 {
		t.Fatalf("NCMEC has %d finished reports, want 1", n)
	}

	// Another server holds the filing lease of a reference (it is filing
	// it now): this one files nothing.
	second := build("SG-TEST-2026-000002")
	other, err := lease.New(lease.Config{Holder: "other-server"}, lease.Deps{Driver: lease.Store{Store: stores[0]}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	inside := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- other.Do(ctx, "ncmec:"+second.Reference, func(ctx context.Context) error {
			close(inside)
			<-ctx.Done()
			return nil
		})
	}()
	<-inside
	calls := len(fake.Calls())
	_, err = subs[1].Submit(t.Context(), second)
	if safeguard.ErrorCode(err) != "report_in_progress" {
		t.Errorf("filing a reference another server is filing: err = %v, want report_in_progress", err)
	}
	if n := len(fake.Calls()); n != calls {
		t.Errorf("NCMEC was called %d more times while another server filed the reference", n-calls)
	}
	stop()
	<-done
	if _, err := subs[1].Submit(t.Context(), second); err != nil {
		t.Fatalf("after the other server let go: %v", err)
	}
	if n := len(fake.Finished()); n != 2 {
		t.Fatalf("NCMEC has %d finished reports, want 2", n)
	}
}

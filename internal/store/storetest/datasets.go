package storetest

import (
	"errors"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

var datasetTests = []test{
	{"Datasets", testDatasets},
}

// testDataset is a police return as the importer leaves it: a total column,
// a force that gave no figures, a summed force, a stated total, and every
// state a value can have.
func testDataset(name string) *safeguard.Dataset {
	return &safeguard.Dataset{
		Name: name, Period: "2019", Source: "synthetic FOI returns", ImportedAt: at(3).In(local),
		Layout: safeguard.LayoutTable, Measure: "online child sexual offences", ForceHeader: "Police Force",
		ColumnKind: "app", RowKind: "", Partition: false,
		Columns: []safeguard.DatasetColumn{{Name: "Total offences", Total: true}, {Name: "Instagram"}, {Name: "Police figure", Published: true}},
		Rows: []safeguard.DatasetRow{
			{Line: 2, Lines: []int{2}, Force: "Bedfordshire", ForceCode: "E23000026",
				Values: []safeguard.Figure{safeguard.Figure{N: 193, State: safeguard.FigureCount}, safeguard.Figure{N: 0, State: safeguard.FigureCount}, {State: safeguard.FigureWithheld}}},
			{Line: 3, Lines: []int{3, 5}, Force: "Cambs", ForceCode: "E23000023",
				Values: []safeguard.Figure{safeguard.Figure{N: 1234567, State: safeguard.FigureCount}, {N: 3, State: safeguard.FigureSuppressed}, safeguard.Figure{N: 4, State: safeguard.FigureCount}}},
			{Line: 4, Lines: []int{4}, Force: "Essex", ForceCode: "E23000028", Values: []safeguard.Figure{{}, {}, {}}},
		},
		StatedTotals: []safeguard.StatedTotal{{Line: 6, Label: "East Total", Values: []safeguard.Figure{safeguard.Figure{N: 1234760, State: safeguard.FigureCount}, {}, safeguard.Figure{N: 4, State: safeguard.FigureCount}}, Covers: []int{0, 1, 2}}},
		Notes:        []string{"Counted from synthetic data."},
	}
}

func testDatasets(t *testing.T, s store.Store) {
	ctx := t.Context()
	east, west := testDataset("east-2019"), testDataset("a-west")
	west.Layout, west.Partition, west.StatedTotals, west.Notes, west.Rows = safeguard.LayoutIncidents, true, nil, nil, west.Rows[:1]
	west.RowKind, west.NoChart = "app", true
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateDataset(ctx, east); err != nil {
			return err
		}
		return tx.CreateDataset(ctx, west)
	})
	err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateDataset(ctx, testDataset("east-2019")) })
	wantKind(t, "the same name again", err, safeguard.ErrConflict, "dataset_exists")

	want := testDataset("east-2019")
	want.ImportedAt = want.ImportedAt.UTC()
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Dataset(ctx, "east-2019")
		if err != nil {
			return err
		}
		if d := diff(want, got); d != "" {
			t.Errorf("Dataset round trip (-want +got):\n%s", d)
		}
		got, err = tx.Dataset(ctx, "a-west")
		if err != nil {
			return err
		}
		if got.Layout != safeguard.LayoutIncidents || !got.Partition || got.RowKind != "app" || !got.NoChart || got.StatedTotals != nil || got.Notes != nil || len(got.Rows) != 1 {
			t.Errorf("second dataset read back as %+v", got)
		}
		if _, err := tx.Dataset(ctx, "East-2019"); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("names are exact: Dataset(East-2019) = %v, want not found", err)
		}
		infos, err := tx.Datasets(ctx)
		if err != nil {
			return err
		}
		wantInfos := []store.DatasetInfo{
			{Name: "a-west", Period: "2019", Source: "synthetic FOI returns", ImportedAt: want.ImportedAt, Layout: safeguard.LayoutIncidents,
				Measure: "online child sexual offences", Columns: 3, Rows: 1},
			{Name: "east-2019", Period: "2019", Source: "synthetic FOI returns", ImportedAt: want.ImportedAt, Layout: safeguard.LayoutTable,
				Measure: "online child sexual offences", Columns: 3, Rows: 3},
		}
		if d := diff(wantInfos, infos); d != "" {
			t.Errorf("Datasets (-want +got):\n%s", d)
		}
		return nil
	})

	update(t, s, func(tx store.Tx) error { return tx.DeleteDataset(ctx, "east-2019") })
	err = s.Update(ctx, func(tx store.Tx) error { return tx.DeleteDataset(ctx, "east-2019") })
	wantKind(t, "deleting twice", err, safeguard.ErrNotFound, "")
	view(t, s, func(tx store.Tx) error {
		if _, err := tx.Dataset(ctx, "east-2019"); !errors.Is(err, safeguard.ErrNotFound) {
			t.Errorf("deleted dataset: %v", err)
		}
		infos, err := tx.Datasets(ctx)
		if err == nil && (len(infos) != 1 || infos[0].Name != "a-west") {
			t.Errorf("after delete, Datasets = %+v", infos)
		}
		return err
	})
	// The name is free again, and the new rows do not mix with the old.
	again := testDataset("east-2019")
	again.Rows = again.Rows[2:]
	update(t, s, func(tx store.Tx) error { return tx.CreateDataset(ctx, again) })
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Dataset(ctx, "east-2019")
		if err == nil && (len(got.Rows) != 1 || got.Rows[0].Force != "Essex") {
			t.Errorf("re-created dataset rows = %+v", got.Rows)
		}
		return err
	})
}

package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// The JSON forms of a dataset's columns and stated totals, with names of
// their own so that the stored text does not follow Go field names.
type (
	storedColumn struct {
		Name      string `json:"name"`
		Total     bool   `json:"total,omitempty"`
		Published bool   `json:"published,omitempty"`
	}
	storedTotal struct {
		Line   int                `json:"line"`
		Label  string             `json:"label"`
		Values []safeguard.Figure `json:"values"`
		Covers []int              `json:"covers"`
	}
)

// CreateDataset implements store.DatasetTx: the dataset in one row, its force
// rows in as many more.
func (t *Tx) CreateDataset(ctx context.Context, d *safeguard.Dataset) error {
	cols := make([]storedColumn, len(d.Columns))
	for i, c := range d.Columns {
		cols[i] = storedColumn(c)
	}
	totals := make([]storedTotal, len(d.StatedTotals))
	for i, st := range d.StatedTotals {
		totals[i] = storedTotal(st)
	}
	colJSON, err := json.Marshal(cols)
	if err != nil {
		return err
	}
	totalJSON, err := json.Marshal(totals)
	if err != nil {
		return err
	}
	notes, err := json.Marshal(orEmpty(d.Notes))
	if err != nil {
		return err
	}
	id, err := t.insertID(ctx, `INSERT INTO stats_datasets (name, period, source, imported_at, layout, measure,
		force_header, column_kind, row_kind, split_total, no_chart, column_list, stated_totals, notes, row_count)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`,
		d.Name, d.Period, d.Source, micro(d.ImportedAt), string(d.Layout), d.Measure, d.ForceHeader, d.ColumnKind,
		d.RowKind, d.Partition, d.NoChart, string(colJSON), string(totalJSON), string(notes), len(d.Rows))
	if err != nil {
		if isNoRows(err) {
			return fmt.Errorf("create dataset %q: %w", d.Name, &safeguard.Error{Kind: safeguard.ErrConflict, Code: "dataset_exists",
				Message: fmt.Sprintf("A dataset named %q is stored already.", d.Name)})
		}
		return t.d.Err(err, "create dataset")
	}
	for i, r := range d.Rows {
		lines, err := json.Marshal(orEmpty(r.Lines))
		if err != nil {
			return err
		}
		cells, err := json.Marshal(orEmpty(r.Values))
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `INSERT INTO stats_dataset_rows (dataset_id, ord, line, lines, force_name, force_code, cells)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, i, r.Line, string(lines), r.Force, r.ForceCode, string(cells)); err != nil {
			return t.d.Err(err, "create dataset row")
		}
	}
	return nil
}

// Dataset implements store.DatasetTx.
func (t *Tx) Dataset(ctx context.Context, name string) (*safeguard.Dataset, error) {
	var (
		d                   safeguard.Dataset
		id, at              int64
		layout              string
		cols, totals, notes string
		what                = fmt.Sprintf("dataset %q", name)
		storedCols          []storedColumn
		storedTotals        []storedTotal
	)
	err := t.queryRow(ctx, `SELECT id, name, period, source, imported_at, layout, measure, force_header, column_kind,
		row_kind, split_total, no_chart, column_list, stated_totals, notes FROM stats_datasets WHERE name = ?`, name).Scan(
		&id, &d.Name, &d.Period, &d.Source, &at, &layout, &d.Measure, &d.ForceHeader, &d.ColumnKind,
		&d.RowKind, &d.Partition, &d.NoChart, &cols, &totals, &notes)
	if err != nil {
		return nil, t.d.Err(err, what)
	}
	d.ImportedAt, d.Layout = fromMicro(at), safeguard.DatasetLayout(layout)
	if err := json.Unmarshal([]byte(cols), &storedCols); err != nil {
		return nil, fmt.Errorf("%s columns: %w", what, err)
	}
	for _, c := range storedCols {
		d.Columns = append(d.Columns, safeguard.DatasetColumn(c))
	}
	if err := json.Unmarshal([]byte(totals), &storedTotals); err != nil {
		return nil, fmt.Errorf("%s stated totals: %w", what, err)
	}
	for _, st := range storedTotals {
		d.StatedTotals = append(d.StatedTotals, safeguard.StatedTotal(st))
	}
	if err := json.Unmarshal([]byte(notes), &d.Notes); err != nil {
		return nil, fmt.Errorf("%s notes: %w", what, err)
	}
	if len(d.Notes) == 0 {
		d.Notes = nil
	}
	rows, err := t.query(ctx, `SELECT line, lines, force_name, force_code, cells FROM stats_dataset_rows
		WHERE dataset_id = ? ORDER BY ord`, id)
	d.Rows, err = collect(rows, err, t.d, what+" rows", func(s scanner) (safeguard.DatasetRow, error) {
		var (
			r            safeguard.DatasetRow
			lines, cells string
		)
		if err := s.Scan(&r.Line, &lines, &r.Force, &r.ForceCode, &cells); err != nil {
			return r, err
		}
		if err := json.Unmarshal([]byte(lines), &r.Lines); err != nil {
			return r, fmt.Errorf("%s row lines: %w", what, err)
		}
		if err := json.Unmarshal([]byte(cells), &r.Values); err != nil {
			return r, fmt.Errorf("%s row values: %w", what, err)
		}
		if len(r.Lines) == 0 {
			r.Lines = nil
		}
		if len(r.Values) == 0 {
			r.Values = nil
		}
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Datasets implements store.DatasetTx.
func (t *Tx) Datasets(ctx context.Context) ([]store.DatasetInfo, error) {
	rows, err := t.query(ctx, `SELECT name, period, source, imported_at, layout, measure, column_list, row_count
		FROM stats_datasets ORDER BY name`)
	return collect(rows, err, t.d, "datasets", func(s scanner) (store.DatasetInfo, error) {
		var (
			info         store.DatasetInfo
			at           int64
			layout, cols string
			n            int64
			columns      []storedColumn
		)
		if err := s.Scan(&info.Name, &info.Period, &info.Source, &at, &layout, &info.Measure, &cols, &n); err != nil {
			return info, err
		}
		if err := json.Unmarshal([]byte(cols), &columns); err != nil {
			return info, fmt.Errorf("dataset %q columns: %w", info.Name, err)
		}
		info.ImportedAt, info.Layout, info.Columns, info.Rows = fromMicro(at), safeguard.DatasetLayout(layout), len(columns), int(n)
		return info, nil
	})
}

// DeleteDataset implements store.DatasetTx.
func (t *Tx) DeleteDataset(ctx context.Context, name string) error {
	what := fmt.Sprintf("delete dataset %q", name)
	if _, err := t.exec(ctx, `DELETE FROM stats_dataset_rows WHERE dataset_id IN
		(SELECT id FROM stats_datasets WHERE name = ?)`, name); err != nil {
		return t.d.Err(err, what)
	}
	res, err := t.exec(ctx, `DELETE FROM stats_datasets WHERE name = ?`, name)
	return t.affected(res, err, what)
}

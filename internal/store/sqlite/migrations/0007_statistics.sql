-- 0007_statistics: statistics datasets (police returns imported with
-- "safeguard stats import"). A dataset is the aggregate, a row per police
-- force, whatever the size of the file it came from. Columns, stated totals,
-- notes and each row's values are JSON (a value is a number, "not provided",
-- "<3" or "withheld"); times Unix microseconds. The PostgreSQL migration of
-- the same number has the same tables and columns.

CREATE TABLE stats_datasets (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE,
	period TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT '',
	imported_at INTEGER NOT NULL,
	layout TEXT NOT NULL,
	measure TEXT NOT NULL DEFAULT '',
	force_header TEXT NOT NULL DEFAULT '',
	column_kind TEXT NOT NULL DEFAULT '',
	row_kind TEXT NOT NULL DEFAULT '',
	split_total INTEGER NOT NULL DEFAULT 0,
	no_chart INTEGER NOT NULL DEFAULT 0,
	column_list TEXT NOT NULL DEFAULT '[]',
	stated_totals TEXT NOT NULL DEFAULT '[]',
	notes TEXT NOT NULL DEFAULT '[]',
	row_count INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE stats_dataset_rows (
	dataset_id INTEGER NOT NULL REFERENCES stats_datasets (id),
	ord INTEGER NOT NULL,
	line INTEGER NOT NULL DEFAULT 0,
	lines TEXT NOT NULL DEFAULT '[]',
	force_name TEXT NOT NULL,
	force_code TEXT NOT NULL DEFAULT '',
	cells TEXT NOT NULL DEFAULT '[]',
	PRIMARY KEY (dataset_id, ord)
) STRICT;

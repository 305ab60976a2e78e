package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/store/sqlstore"
)

// defaultData is the data directory every command uses unless --data (or
// SAFEGUARD_DATA) names another.
const defaultData = "./safeguard-data"

// The layout of a data directory (docs/storage.md, "The data directory").
// The demo's --dir is one.
const (
	layoutDB       = "safeguard.db"  // SQLite, with its -wal and -shm
	layoutMedia    = "media"         // uploads, encrypted; key: media.key
	layoutEvidence = "evidence"      // evidence items, encrypted; keys: evidence.key, evidence.signing.key
	layoutReports  = "reports"       // law-enforcement report packages
	layoutFranking = "franking.keys" // the server's franking receipt keys
	layoutGuardian = "guardian.key"  // the key guardian codes are hashed with
	layoutTestData = "test-data"     // present: the data is test data (the demo's), its reports TEST
)

// layoutNames are the names a data directory may hold, in the order
// docs/storage.md lists them.
var layoutNames = []string{layoutDB, layoutDB + "-wal", layoutDB + "-shm", layoutMedia, layoutMedia + ".key",
	layoutEvidence, layoutEvidence + ".key", layoutEvidence + ".signing.key", layoutReports, layoutFranking, layoutGuardian, layoutTestData}

// storeFlags say where the database is: --db, or else the data directory's.
type storeFlags struct {
	data string
	db   string
	// inData: db was not given but set to the data directory's database
	// (resolve), so an error names --data, not --db.
	inData bool
}

// bindStore defines --data and --db.
func bindStore(fs *flag.FlagSet, s *storeFlags) {
	fs.StringVar(&s.data, "data", defaultData, "the data directory: database, media, evidence, reports and keys (docs/storage.md)")
	fs.StringVar(&s.db, "db", "", "database: a SQLite file path, or a postgres:// URL (default: safeguard.db in --data)")
}

// dsn is the database: --db, or the data directory's SQLite file.
func (s *storeFlags) dsn() string {
	if s.db != "" {
		return s.db
	}
	return filepath.Join(s.data, layoutDB)
}

// in returns path when it is set, else name in the data directory.
func (s *storeFlags) in(path, name string) string {
	if path != "" {
		return path
	}
	return filepath.Join(s.data, name)
}

// openRead opens an existing database, creating nothing: a missing SQLite
// file is an error that says how to make one.
func (s *storeFlags) openRead(ctx context.Context) (store.Store, error) {
	st, err := openStoreMode(ctx, s.dsn(), false)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, s.noDatabase()
	case errors.Is(err, sqlstore.ErrSchemaMissing), errors.Is(err, sqlstore.ErrSchemaOld):
		what := "has no Safeguard schema"
		if errors.Is(err, sqlstore.ErrSchemaOld) {
			what = "has an older Safeguard schema"
		}
		return nil, fmt.Errorf("the database %s %s, and this command changes none: start 'safeguard serve --db %s' once to make or update it (%v)",
			redactDSN(s.dsn()), what, redactDSN(s.dsn()), err)
	}
	return st, err
}

// openWrite opens the database, made (with its directory) if missing.
func (s *storeFlags) openWrite(ctx context.Context) (store.Store, error) {
	return openStoreMode(ctx, s.dsn(), true)
}

// noDatabase is the error of a command that reads a database that is not
// there: it names the path, and how to make one.
func (s *storeFlags) noDatabase() error {
	if s.db != "" && !s.inData {
		return fmt.Errorf("there is no database at %s: check --db, or make it with 'safeguard serve --db %s' (it is made when the server first starts)", s.db, s.db)
	}
	return fmt.Errorf("there is no database in the data directory %s (no %s there): give the data directory with --data DIR, "+
		"or make one: 'safeguard serve --data %s' makes it when the server first starts, 'safeguard demo --dir %s' fills it with the demo's story",
		s.data, layoutDB, s.data, s.data)
}

// isPostgres reports whether a --db value names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openStore opens the database a --db value names, a postgres:// URL or a
// SQLite file, created if absent (serve, the demo).
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	return openStoreMode(ctx, dsn, true)
}

// openStoreMode opens the database dsn names; without create, a missing
// SQLite file is an error that wraps fs.ErrNotExist, a PostgreSQL schema
// missing or older is one that wraps sqlstore.ErrSchemaMissing or
// ErrSchemaOld, and nothing is made or migrated.
func openStoreMode(ctx context.Context, dsn string, create bool) (store.Store, error) {
	if isPostgres(dsn) && !create {
		return postgres.OpenExisting(ctx, dsn)
	}
	if isPostgres(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, dsn, sqlite.Options{MustExist: !create})
}

// mustExist returns an error naming what (and the flag that points
// elsewhere) when path is missing, so that a read creates nothing.
func mustExist(path, what, flagName string) error {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no %s at %s: is --data right, or give it with --%s", what, path, flagName)
	}
	return err
}

// dataFlags say where each part of the data is: in the data directory
// unless a flag points it elsewhere.
type dataFlags struct {
	storeFlags
	mediaDir, mediaKeyFile            string
	evidenceDir, evidenceKey, evidPub string
	reportDir                         string
	nats                              string // a cluster's NATS: its files are in the store its servers share
	kekFile                           string // the file of the key-encryption key of a cluster's keyring
}

// bindData defines --data (unless the command has its own, as the demo's
// --dir), --db and where the media, the evidence and the reports are.
func bindData(fs *flag.FlagSet, d *dataFlags, withData bool) {
	if withData {
		bindStore(fs, &d.storeFlags)
	} else {
		fs.StringVar(&d.db, "db", "", "database: a SQLite file path, or a postgres:// URL (default: safeguard.db in the data directory)")
	}
	bindMediaFlags(fs, d)
	bindEvidenceFlags(fs, d)
	fs.StringVar(&d.reportDir, "report-dir", "", "directory law-enforcement report packages are exported to, for upload to the NCA portal (default: reports in the data directory)")
}

// bindMediaFlags defines where the uploaded media and their key are.
func bindMediaFlags(fs *flag.FlagSet, d *dataFlags) {
	fs.StringVar(&d.mediaDir, "media", "", "directory of uploaded media, encrypted at rest (default: media in the data directory)")
	fs.StringVar(&d.mediaKeyFile, "media-key-file", "", "file holding the media encryption key in hex (default: the media directory's path + \".key\"); SAFEGUARD_MEDIA_KEY gives the key itself")
}

// bindEvidenceFlags defines where the evidence vault's items and signing
// key are, and the public key pinned to check them.
func bindEvidenceFlags(fs *flag.FlagSet, d *dataFlags) {
	fs.StringVar(&d.evidenceDir, "evidence-dir", "", "directory of the evidence vault's items, encrypted at rest, with its data key beside it (the directory's path + \".key\") (default: evidence in the data directory)")
	fs.StringVar(&d.evidenceKey, "evidence-key", "", "file holding the ed25519 key that signs evidence checkpoints and tombstones; keep it away from the database (default: the evidence directory's path + \".signing.key\")")
	fs.StringVar(&d.evidPub, "evidence-pubkey", "", "the evidence key's public key in hex, pinned ('safeguard evidence pubkey' prints it): serve refuses another key, verify trusts only this one")
}

// resolve fills in every path not given from the data directory.
func (d *dataFlags) resolve() {
	d.mediaDir = d.in(d.mediaDir, layoutMedia)
	if d.mediaKeyFile == "" {
		d.mediaKeyFile = strings.TrimRight(d.mediaDir, string(os.PathSeparator)) + ".key"
	}
	d.evidenceDir = d.in(d.evidenceDir, layoutEvidence)
	if d.evidenceKey == "" {
		d.evidenceKey = strings.TrimRight(d.evidenceDir, string(os.PathSeparator)) + ".signing.key"
	}
	d.reportDir = d.in(d.reportDir, layoutReports)
	if d.db == "" {
		d.db, d.inData = d.dsn(), true
	}
}

// cases copies where the evidence and reports are into c.
func (d *dataFlags) cases(c *caseConfig) {
	c.evidenceDir, c.evidenceKey, c.evidencePub, c.reportDir = d.evidenceDir, d.evidenceKey, d.evidPub, d.reportDir
}

// testDataNote is what the test-data marker says to whoever opens it.
const testDataNote = "This data directory holds test data (made by 'safeguard demo'): every law-enforcement\n" +
	"report made from it (case decide, case report-retry, report export, serve) is marked TEST.\n"

// markTestData records in the data directory dir that its data is test
// data: every command that makes reports from it marks them TEST.
func markTestData(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, layoutTestData), []byte(testDataNote), 0o600); err != nil {
		return fmt.Errorf("mark the demo's data as test data: %w", err)
	}
	return nil
}

// isTestData reports whether the data directory dir holds test data (its
// test-data marker is there).
func isTestData(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, layoutTestData))
	return err == nil
}

// testDataSaid is the line a command that makes reports prints when the
// data directory holds test data.
func testDataSaid(dir string) string {
	return fmt.Sprintf("test data: %s holds test data (its %s marker), so every report made from it is marked TEST", dir, layoutTestData)
}

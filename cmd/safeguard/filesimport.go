package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/keyring"
)

// filesCommands are the subcommands of "safeguard files": the files a
// cluster keeps in the object store its servers share (docs/scaling.md,
// "From one server to a cluster").
var filesCommands = []command{
	{name: "import", summary: "copy a data directory's media, E2EE attachments, evidence items and report packages into a cluster's object store, after keys import",
		example: "files import --data /var/lib/safeguard --db postgres://safeguard@db/safeguard --nats nats://nats:4222 --kek-file /etc/safeguard/kek",
		access:  writes, run: cmdFilesImport},
}

// fileSource is one store of a data directory and the prefix its files
// have in a cluster's object store.
type fileSource struct {
	name   string // as the summary names it
	dir    string
	prefix string
	// key is the key its files are sealed with on one server (nil: none
	// found), and shared the one the cluster's keyring holds; reports are
	// not sealed and have neither.
	key, shared []byte
	keyWhere    string // where key comes from, to name in an error
}

// importCount is what an import did with one store's files.
type importCount struct {
	copied, present int
	differ          []string // the object store's keys that hold other bytes
}

func cmdFilesImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "files import", "files import --db URL --nats URL [flags]")
	var c serveConfig
	bindStore(fs, &c.where.storeFlags)
	bindClusterFiles(fs, &c.where)
	fs.StringVar(&c.where.mediaDir, "media", "", "the media directory, uploads and E2EE attachments (default: media in the data directory)")
	fs.StringVar(&c.where.mediaKeyFile, "media-key-file", "", "the media key file (default: the media directory's path + \".key\"); SAFEGUARD_MEDIA_KEY gives the key itself")
	fs.StringVar(&c.where.evidenceDir, "evidence-dir", "", "the evidence directory, whose data key is beside it (default: evidence in the data directory)")
	fs.StringVar(&c.where.evidenceKey, "evidence-key", "", "the evidence signing key file (default: the evidence directory's path + \".signing.key\")")
	fs.StringVar(&c.where.reportDir, "report-dir", "", "the directory of report packages (default: reports in the data directory)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if c.where.nats == "" {
		return &exitError{code: 2, err: errors.New("give --nats URL, the NATS of the cluster whose object store takes the files")}
	}
	c.resolve()
	c.readSecrets(e)
	kek, err := loadKEK(c.kek, c.where.kekFile)
	if err != nil {
		return err
	}
	if !isPostgres(c.where.db) {
		return fmt.Errorf("a cluster keeps its data in PostgreSQL: give --db postgres://…, the database its servers use " +
			"(there is no tool to move a SQLite database to PostgreSQL)")
	}
	st, err := c.where.openRead(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if empty, err := keyring.Empty(ctx, st); err != nil || empty {
		if err == nil {
			err = fmt.Errorf("the database's keyring is empty: import the data directory's keys first, with 'safeguard keys import --data %s --db …', "+
				"so that the cluster opens the files sealed with them", c.where.data)
		}
		return err
	}
	keys, err := keyring.Read(ctx, st, kek)
	if err != nil {
		return err
	}
	sources, err := fileSources(ctx, c, keys)
	if err != nil {
		return err
	}
	shared, closeFiles, err := openClusterFilesOf(ctx, c.where.nats, clusterID(keys))
	if err != nil {
		return err
	}
	defer closeFiles()
	var differ []string
	for _, src := range sources {
		n, err := importFiles(ctx, src, shared)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d copied, %d already there\n", src.name, n.copied, n.present)
		differ = append(differ, n.differ...)
	}
	if len(differ) > 0 {
		return fmt.Errorf("%d objects of the object store hold other bytes than the data directory's file of the same name, and were left as they are "+
			"(is the object store another cluster's, or was the file changed?): %s", len(differ), strings.Join(differ, ", "))
	}
	fmt.Fprintln(e.stdout, "every file of the data directory is in the cluster's object store; the data directory is unchanged: keep it as a backup until the cluster serves")
	return nil
}

// fileSources returns the stores of the data directory c names, after
// checking that the cluster's keyring holds the keys their files are
// sealed with (and its evidence signing key, the cluster's identity).
func fileSources(ctx context.Context, c serveConfig, keys *keyring.Keys) ([]fileSource, error) {
	files := keyFilesOf(c)
	media, err := hexKey(c.mediaKey, "SAFEGUARD_MEDIA_KEY", files.media)
	if err != nil {
		return nil, err
	}
	mediaWhere := files.media
	if c.mediaKey != "" {
		mediaWhere = "SAFEGUARD_MEDIA_KEY"
	}
	evidenceData, err := hexKey("", "", files.evidenceData)
	if err != nil {
		return nil, err
	}
	if _, serr := os.Stat(files.evidenceSigning); serr == nil {
		signing, err := evidence.LoadKey(files.evidenceSigning)
		if err != nil {
			return nil, err
		}
		if keys.EvidenceSigning == nil || !signing.Public().(ed25519.PublicKey).Equal(keys.EvidenceSigning.Public()) {
			return nil, notImported("evidence signing key", files.evidenceSigning, c.where.data)
		}
	}
	sources := []fileSource{
		{name: "media", dir: c.mediaDir, prefix: sharedMedia, key: media, shared: keys.Media, keyWhere: mediaWhere},
		{name: "evidence", dir: c.cases.evidenceDir, prefix: sharedEvidence, key: evidenceData, shared: keys.EvidenceData, keyWhere: files.evidenceData},
		{name: "reports", dir: c.cases.reportsDir(), prefix: sharedReports},
	}
	for _, src := range sources {
		if src.keyWhere == "" {
			continue
		}
		if src.key == nil {
			if n, err := listDir(ctx, src.dir); err != nil || len(n) > 0 {
				if err == nil {
					err = fmt.Errorf("%s holds %d files and the key they are sealed with is not at %s: give where it is", src.dir, len(n), src.keyWhere)
				}
				return nil, err
			}
			continue
		}
		if !bytes.Equal(src.key, src.shared) {
			return nil, notImported(src.name+" key", src.keyWhere, c.where.data)
		}
	}
	return sources, nil
}

// notImported is the error of a key of the data directory that the
// cluster's keyring does not hold.
func notImported(what, where, data string) error {
	return fmt.Errorf("the cluster's keyring holds another %s than %s: the files sealed with it would not open in the cluster. "+
		"'safeguard keys import --data %s --db …' puts a data directory's keys into the keyring, before the first 'serve --nats' makes new ones", what, where, data)
}

// listDir lists the keys of the files in dir, without making dir if it is
// missing (it has none).
func listDir(ctx context.Context, dir string) ([]string, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	d, err := blob.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	return d.List(ctx, "")
}

// importFiles copies each file of src into shared under src.prefix, as the
// servers of a cluster read it: the bytes as they are, sealed or not, since
// a file is sealed the same way in either store. An object already there
// with the same bytes is left; one with other bytes is left too, and
// named in the count.
func importFiles(ctx context.Context, src fileSource, shared blob.Store) (importCount, error) {
	var n importCount
	keys, err := listDir(ctx, src.dir)
	if err != nil {
		return n, err
	}
	if len(keys) == 0 {
		return n, nil
	}
	d, err := blob.OpenDir(src.dir)
	if err != nil {
		return n, err
	}
	for _, k := range keys {
		data, err := d.Get(ctx, k)
		if err != nil {
			return n, fmt.Errorf("%s: %w", d.Path(k), err)
		}
		to := src.prefix + k
		there, err := shared.Get(ctx, to)
		switch {
		case errors.Is(err, safeguard.ErrNotFound):
			if err := shared.Put(ctx, to, data); err != nil {
				return n, fmt.Errorf("copy %s to %s: %w", d.Path(k), to, err)
			}
			n.copied++
		case err != nil:
			return n, fmt.Errorf("%s: %w", to, err)
		case bytes.Equal(there, data):
			n.present++
		default:
			n.differ = append(n.differ, to)
		}
	}
	return n, nil
}

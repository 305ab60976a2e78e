package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/keyring"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// keysCommands are the subcommands of "safeguard keys": the keyring a
// cluster keeps in its database (docs/scaling.md, "Keys").
var keysCommands = []command{
	{name: "import", summary: "put a data directory's key files into the database's empty keyring, before a cluster first starts",
		example: "keys import --data /var/lib/safeguard --db postgres://safeguard@db/safeguard --kek-file /etc/safeguard/kek", access: writes, run: cmdKeysImport},
	{name: "rotate-franking", summary: "add a new franking key to the keyring: new receipts use it, older receipts still verify",
		example: "keys rotate-franking --db postgres://safeguard@db/safeguard --kek-file /etc/safeguard/kek", access: writes, run: cmdKeysRotateFranking},
	{name: "rotate-kek", summary: "seal every key of the keyring under a new key-encryption key, in one transaction",
		example: "keys rotate-kek --db postgres://safeguard@db/safeguard --old /etc/safeguard/kek --new /etc/safeguard/kek.new", access: writes, run: cmdKeysRotateKEK},
}

// bindKEK defines --kek-file.
func bindKEK(fs *flag.FlagSet, path *string) {
	fs.StringVar(path, "kek-file", "", "file holding the key-encryption key of the cluster's keyring, 32 bytes in base64 (SAFEGUARD_KEK gives the key itself)")
}

// loadKEK returns the key-encryption key: from SAFEGUARD_KEK (env), or the
// file path names. Neither is an error that says how to give one.
func loadKEK(env, path string) ([]byte, error) {
	switch {
	case env != "" && path != "":
		return nil, errors.New("SAFEGUARD_KEK and --kek-file both give a key-encryption key: give one")
	case env != "":
		k, err := keyring.ParseKEK(env)
		if err != nil {
			return nil, fmt.Errorf("SAFEGUARD_KEK: %w", err)
		}
		return k, nil
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--kek-file: %w", err)
		}
		k, err := keyring.ParseKEK(string(b))
		if err != nil {
			return nil, fmt.Errorf("--kek-file %s: %w", path, err)
		}
		return k, nil
	}
	return nil, errors.New("the keyring is sealed under a key-encryption key: give it in SAFEGUARD_KEK, or the file that holds it in --kek-file or SAFEGUARD_KEK_FILE " +
		"(32 bytes in base64, as 'openssl rand -base64 32' makes; docs/scaling.md)")
}

// keyFiles are where a server keeps its keys in files.
type keyFiles struct {
	media, guardian, franking, evidenceData, evidenceSigning string
}

// keyFilesOf returns where the resolved configuration c keeps its keys.
func keyFilesOf(c serveConfig) keyFiles {
	return keyFiles{media: c.mediaKeyFile, guardian: c.guardianKeyFile, franking: c.frankingKeysFile,
		evidenceData:    strings.TrimRight(c.cases.evidenceDir, string(os.PathSeparator)) + ".key",
		evidenceSigning: evidenceKeyPath(c.cases)}
}

// present returns those of the key files that exist.
func (k keyFiles) present() []string {
	var out []string
	for _, p := range []string{k.media, k.guardian, k.franking, k.evidenceData, k.evidenceSigning} {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// clusterKeys opens the keyring of a cluster (serve --nats) in st. A first
// start whose data directory holds key files is refused: media and
// evidence made with them would not open with new keys; they are imported
// first.
func clusterKeys(ctx context.Context, c serveConfig, st store.Store, log *slog.Logger) (*keyring.Cluster, *keyring.Keys, error) {
	kek, err := loadKEK(c.kek, c.kekFile)
	if err != nil {
		return nil, nil, fmt.Errorf("--nats: %w", err)
	}
	empty, err := keyring.Empty(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	if files := keyFilesOf(c).present(); empty && len(files) > 0 {
		return nil, nil, fmt.Errorf("--nats: the cluster's keyring is empty and this server has key files (%s): "+
			"import them first with 'safeguard keys import --data %s --db …', so that what they encrypt stays readable, or move them away",
			strings.Join(files, ", "), c.where.data)
	}
	cl, keys, err := keyring.Open(ctx, st, kek, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := checkPinned(c.cases.evidencePub, keys.EvidenceSigning); err != nil {
		return nil, nil, err
	}
	log.Info("keys from the cluster's keyring", "evidence_pubkey", hex.EncodeToString(keys.EvidenceSigning.Public().(ed25519.PublicKey)),
		"franking_keys", len(keys.Franking))
	return cl, keys, nil
}

func cmdKeysImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys import", "keys import --db URL [flags]")
	var c serveConfig
	bindStore(fs, &c.where.storeFlags)
	bindKEK(fs, &c.kekFile)
	fs.StringVar(&c.where.mediaKeyFile, "media-key-file", "", "the media key file (default: media.key in the data directory); SAFEGUARD_MEDIA_KEY gives the key itself")
	fs.StringVar(&c.where.evidenceDir, "evidence-dir", "", "the evidence directory, whose data key is beside it (default: evidence in the data directory)")
	fs.StringVar(&c.where.evidenceKey, "evidence-key", "", "the evidence signing key file (default: the evidence directory's path + \".signing.key\")")
	fs.StringVar(&c.frankingKeysFile, "franking-keys-file", "", "the franking keys file (default: franking.keys in the data directory)")
	fs.StringVar(&c.guardianKeyFile, "guardian-key-file", "", "the guardian-code key file (default: guardian.key in the data directory); SAFEGUARD_GUARDIAN_KEY gives the key itself")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	c.resolve()
	c.readSecrets(e)
	c.kek = e.getenv("SAFEGUARD_KEK")
	kek, err := loadKEK(c.kek, c.kekFile)
	if err != nil {
		return err
	}
	keys, err := readKeyFiles(c)
	if err != nil {
		return err
	}
	st, err := c.where.openWrite(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	names, err := keyring.Import(ctx, st, kek, keys, nil)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(e.stdout, "no key files found: the first server of the cluster makes every key")
		return nil
	}
	fmt.Fprintf(e.stdout, "imported into the keyring: %s\n", strings.Join(names, ", "))
	if keys.EvidenceSigning != nil {
		fmt.Fprintf(e.stdout, "evidence public key (pin with --evidence-pubkey): %s\n", hex.EncodeToString(keys.EvidenceSigning.Public().(ed25519.PublicKey)))
	}
	fmt.Fprintln(e.stdout, "the key files are no longer read in cluster mode: keep them offline as a backup, or delete them")
	return nil
}

// readKeyFiles reads the keys a single server keeps in files (or the
// environment), those that exist.
func readKeyFiles(c serveConfig) (keyring.Keys, error) {
	var k keyring.Keys
	var err error
	files := keyFilesOf(c)
	if k.Media, err = hexKey(c.mediaKey, "SAFEGUARD_MEDIA_KEY", files.media); err != nil {
		return k, err
	}
	if k.Guardian, err = hexKey(c.guardianKey, "SAFEGUARD_GUARDIAN_KEY", files.guardian); err != nil {
		return k, err
	}
	if k.EvidenceData, err = hexKey("", "", files.evidenceData); err != nil {
		return k, err
	}
	if _, serr := os.Stat(files.evidenceSigning); serr == nil {
		if k.EvidenceSigning, err = evidence.LoadKey(files.evidenceSigning); err != nil {
			return k, err
		}
	}
	b, err := os.ReadFile(files.franking)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return k, err
	default:
		if k.Franking, err = e2ee.ParseKeyFile(b); err != nil {
			return k, fmt.Errorf("%s: %w", files.franking, err)
		}
	}
	return k, nil
}

// hexKey returns the key env gives (named name), or else the one in the
// file at path; nil if neither is there.
func hexKey(env, name, path string) ([]byte, error) {
	if env != "" {
		k, err := media.ParseKey(env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return k, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	k, err := media.ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func cmdKeysRotateFranking(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys rotate-franking", "keys rotate-franking --db URL [flags]")
	var s storeFlags
	var kekFile string
	bindStore(fs, &s)
	bindKEK(fs, &kekFile)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	kek, err := loadKEK(e.getenv("SAFEGUARD_KEK"), kekFile)
	if err != nil {
		return err
	}
	st, err := s.openRead(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if empty, err := keyring.Empty(ctx, st); err != nil || empty {
		if err == nil {
			err = errors.New("the keyring is empty: no server of a cluster has started on this database, so there is no franking key to rotate")
		}
		return err
	}
	cl, keys, err := keyring.Open(ctx, st, kek, nil)
	if err != nil {
		return err
	}
	f, err := cl.Franking(keys.Franking, franking.KeyRingConfig{})
	if err != nil {
		return err
	}
	k, err := f.Rotate()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "new franking key %d: every server makes new receipts with it once it has read the keyring (within %s); receipts of the %d older keys still verify\n",
		k.ID, keyring.DefaultRefreshEvery, len(f.Ring().Keys())-1)
	return nil
}

func cmdKeysRotateKEK(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "keys rotate-kek", "keys rotate-kek --db URL --old FILE --new FILE [flags]")
	var s storeFlags
	var oldFile, newFile string
	bindStore(fs, &s)
	fs.StringVar(&oldFile, "old", "", "file holding the key-encryption key the keyring is sealed under now (base64)")
	fs.StringVar(&newFile, "new", "", "file holding the new key-encryption key (base64; 'openssl rand -base64 32' makes one)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if oldFile == "" || newFile == "" {
		return &exitError{code: 2, err: errors.New("give --old and --new, the files of the key-encryption keys")}
	}
	oldKEK, err := loadKEK("", oldFile)
	if err != nil {
		return fmt.Errorf("--old: %w", err)
	}
	newKEK, err := loadKEK("", newFile)
	if err != nil {
		return fmt.Errorf("--new: %w", err)
	}
	st, err := s.openRead(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := keyring.RotateKEK(ctx, st, oldKEK, newKEK)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d keys sealed under the new key-encryption key: restart every server with it (a server on the old one adds no franking key until then)\n", n)
	return nil
}

// commandKeys returns the keys of the keyring in st, for a command other
// than serve: nil when the keyring is empty (one server, whose keys are
// files), else the cluster's keys, opened with SAFEGUARD_KEK (or the file
// SAFEGUARD_KEK_FILE names) and changing nothing, so that a command signs
// and reads evidence with the cluster's keys, never a key file's.
func commandKeys(ctx context.Context, e *env, st store.Store, kekFile string) (*keyring.Keys, error) {
	empty, err := keyring.Empty(ctx, st)
	if err != nil || empty {
		return nil, err
	}
	env := e.getenv("SAFEGUARD_KEK")
	if env == "" && kekFile == "" {
		return nil, errors.New("this database is a cluster's, whose keys are in its keyring, sealed under a key-encryption key: " +
			"give it in SAFEGUARD_KEK, or the file that holds it with --kek-file or SAFEGUARD_KEK_FILE (docs/scaling.md, \"Keys\")")
	}
	kek, err := loadKEK(env, kekFile)
	if err != nil {
		return nil, fmt.Errorf("this database is a cluster's, whose keys are in its keyring: %w", err)
	}
	return keyring.Read(ctx, st, kek)
}

// checkPinned refuses a pinned --evidence-pubkey that is not key's.
func checkPinned(pinned string, key ed25519.PrivateKey) error {
	if pinned == "" {
		return nil
	}
	pub, err := evidence.ParsePublicKey(pinned)
	if err != nil {
		return err
	}
	if !pub.Equal(key.Public()) {
		return errors.New("the keyring's evidence key does not match the pinned --evidence-pubkey")
	}
	return nil
}

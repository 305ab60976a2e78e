package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A disclosure package is a directory of files with a manifest naming each
// file's SHA-256 and size, and the manifest's ed25519 signature by the
// evidence key, so that whoever receives it can check, with the pinned
// public key, that nothing was changed, added or taken away.
const (
	PackageManifest  = "manifest.json"
	PackageSignature = "manifest.sig" // hex of the signature over PackageDomain + manifest.json
	PackageFormat    = "safeguard-disclosure/1"
	PackageDomain    = "safeguard disclosure manifest v1\n"
)

// PackageFile is one file of a package: a slash-separated path inside it,
// and its bytes.
type PackageFile struct {
	Name string
	Data []byte
}

// Manifest is what a package's manifest.json holds.
type Manifest struct {
	Format    string         `json:"format"`
	Subject   string         `json:"subject"`   // e.g. "account 12 (leo.37)"
	Reference string         `json:"reference"` // the legal order it is disclosed under
	CreatedAt time.Time      `json:"created_at"`
	CreatedBy string         `json:"created_by"`
	PublicKey string         `json:"public_key"` // hex: the key that signed; verify against the pinned one
	Files     []ManifestFile `json:"files"`
}

// ManifestFile is one file in the manifest.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

// WritePackage writes files, the manifest m (its files and key filled in)
// and the signature into dir, which must not exist or be empty, and whose
// parent must exist. It returns
// the manifest written.
func WritePackage(dir string, m Manifest, files []PackageFile, key ed25519.PrivateKey) (*Manifest, error) {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%s is not empty: give a new directory for the package", dir)
	}
	// Only dir itself is made: its parent must exist, so that a mistyped
	// path (a/b/../../x) leaves no stray directories behind.
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("make the package directory (its parent must exist): %w", err)
	}
	m.Format = PackageFormat
	m.PublicKey = hex.EncodeToString(key.Public().(ed25519.PublicKey))
	m.Files = nil
	for _, f := range files {
		if !fs.ValidPath(f.Name) || f.Name == PackageManifest || f.Name == PackageSignature {
			return nil, fmt.Errorf("package file name %q", f.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, f.Data, 0o600); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(f.Data)
		m.Files = append(m.Files, ManifestFile{Name: f.Name, SHA256: hex.EncodeToString(sum[:]), Size: len(f.Data)})
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	if err := os.WriteFile(filepath.Join(dir, PackageManifest), b, 0o600); err != nil {
		return nil, err
	}
	sig := ed25519.Sign(key, append([]byte(PackageDomain), b...))
	if err := os.WriteFile(filepath.Join(dir, PackageSignature), []byte(hex.EncodeToString(sig)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return &m, nil
}

// VerifyPackage checks a package in dir against the pinned public key: the
// manifest's signature, then every file's size and SHA-256, and that no
// file is missing or added. It returns the manifest and the problems
// found, each naming the file; an error means the package could not be
// read at all.
func VerifyPackage(dir string, pub ed25519.PublicKey) (*Manifest, []string, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, nil, errors.New("verify package: no public key pinned (--evidence-pubkey)")
	}
	b, err := os.ReadFile(filepath.Join(dir, PackageManifest))
	if err != nil {
		return nil, nil, fmt.Errorf("verify package: %w", err)
	}
	var problems []string
	sigHex, err := os.ReadFile(filepath.Join(dir, PackageSignature))
	sig, herr := hex.DecodeString(strings.TrimSpace(string(sigHex)))
	switch {
	case err != nil:
		problems = append(problems, PackageSignature+": missing (the package is not signed)")
	case herr != nil || !ed25519.Verify(pub, append([]byte(PackageDomain), b...), sig):
		problems = append(problems, PackageManifest+": the signature does not verify under the pinned key (the manifest was changed, or another key signed it)")
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, append(problems, PackageManifest+": cannot be read: "+err.Error()), nil
	}
	if m.Format != PackageFormat {
		problems = append(problems, fmt.Sprintf("%s: format %q, want %q", PackageManifest, m.Format, PackageFormat))
	}
	listed := map[string]bool{PackageManifest: true, PackageSignature: true}
	for _, f := range m.Files {
		listed[f.Name] = true
		if !plainFile(dir, f.Name) {
			problems = append(problems, f.Name+": not a plain file in the package (a link, or outside it): refused")
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path.Clean(f.Name))))
		if err != nil {
			problems = append(problems, f.Name+": missing")
			continue
		}
		sum := sha256.Sum256(data)
		if len(data) != f.Size || !bytes.Equal([]byte(hex.EncodeToString(sum[:])), []byte(f.SHA256)) {
			problems = append(problems, f.Name+": its contents do not match the manifest (changed)")
		}
	}
	var extra []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err == nil && !listed[filepath.ToSlash(rel)] {
			extra = append(extra, filepath.ToSlash(rel)+": not in the manifest (added)")
		}
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("verify package: %w", err)
	}
	slices.Sort(extra)
	return &m, append(problems, extra...), nil
}

// plainFile reports whether name, a path in the package, is a regular file
// reached through directories of the package alone: no part of it is a
// symbolic link, and it does not leave dir. A missing file is reported as
// plain here, and as missing when read.
func plainFile(dir, name string) bool {
	clean := path.Clean(name)
	if !fs.ValidPath(clean) {
		return false
	}
	p := dir
	parts := strings.Split(clean, "/")
	for i, part := range parts {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return true
		}
		if err != nil || fi.Mode()&fs.ModeSymlink != 0 || i == len(parts)-1 && !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}

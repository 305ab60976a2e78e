// Command convert makes the classifier's embedded model from the nsfwjs
// package: it packs nsfwjs@4.4.0 with npm, checks the tarball's SHA-256,
// reads the mobilenet_v2 model (a tfjs layers model whose model.json and
// weight shard the package ships as JavaScript bundles), turns the Keras
// layer list into the operation list the Go runtime follows, and writes
// model.bin, LICENSE and PROVENANCE.md. The weights are kept as the
// package ships them (uint8 with a per-tensor minimum and scale); batch
// normalisation is folded into the convolutions when the model is loaded.
//
// Run it through `go generate ./internal/nudity/nsfw`.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/safeguard-dev/safeguard/internal/nudity/nsfw/internal/modelfile"
)

const (
	pkgName    = "nsfwjs"
	pkgVersion = "4.4.0"
	// tarballSHA256 is the SHA-256 of nsfwjs-4.4.0.tgz as the registry
	// serves it.
	tarballSHA256 = "585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382"
	modelDir      = "package/dist/models/mobilenet_v2/"
	modelFile     = modelDir + "model.min.js"
	shardFile     = modelDir + "group1-shard1of1.min.js"
	licenseFile   = "package/LICENSE"
)

func main() {
	out := flag.String("out", ".", "directory to write model.bin, LICENSE and PROVENANCE.md to")
	tarball := flag.String("tarball", "", "use this nsfwjs-4.4.0.tgz instead of running npm pack (its SHA-256 is checked all the same)")
	flag.Parse()
	if err := run(*out, *tarball); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		os.Exit(1)
	}
}

func run(out, tarball string) error {
	tgz, err := readTarball(tarball)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(tgz)
	if got := hex.EncodeToString(sum[:]); got != tarballSHA256 {
		return fmt.Errorf("%s@%s tarball has SHA-256 %s, want %s: refusing to convert a package that is not the one reviewed", pkgName, pkgVersion, got, tarballSHA256)
	}
	files, err := untar(tgz, modelFile, shardFile, licenseFile)
	if err != nil {
		return err
	}
	h, data, err := convert(files[modelFile], files[shardFile])
	if err != nil {
		return err
	}
	var bin bytes.Buffer
	if err := modelfile.Write(&bin, h, data); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "model.bin"), bin.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "LICENSE"), files[licenseFile], 0o644); err != nil {
		return err
	}
	prov := provenance(h, len(data), bin.Len())
	return os.WriteFile(filepath.Join(out, "PROVENANCE.md"), []byte(prov), 0o644)
}

// readTarball runs npm pack in a temporary directory, or reads the given file.
func readTarball(path string) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	dir, err := os.MkdirTemp("", "nsfwjs-pack-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("npm", "pack", "--silent", pkgName+"@"+pkgVersion)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	name, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("npm pack %s@%s: %w", pkgName, pkgVersion, err)
	}
	return os.ReadFile(filepath.Join(dir, strings.TrimSpace(string(name))))
}

// untar returns the named files of a gzipped tarball.
func untar(tgz []byte, names ...string) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if want[hdr.Name] {
			if files[hdr.Name], err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range names {
		if files[n] == nil {
			return nil, fmt.Errorf("tarball has no %s", n)
		}
	}
	return files, nil
}

// convert parses the model bundle and the weight shard.
func convert(modelJS, shardJS []byte) (*modelfile.Header, []byte, error) {
	lit, err := exportedLiteral(string(modelJS))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", modelFile, err)
	}
	v, _, err := parseLiteral(lit)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", modelFile, err)
	}
	model, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s: exports no object", modelFile)
	}
	lit, err = exportedLiteral(string(shardJS))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", shardFile, err)
	}
	s, _, err := parseLiteral(lit)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", shardFile, err)
	}
	b64, ok := s.(string)
	if !ok {
		return nil, nil, fmt.Errorf("%s: exports no string", shardFile)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", shardFile, err)
	}
	tensors, err := weightTable(model, len(data))
	if err != nil {
		return nil, nil, err
	}
	h, err := buildGraph(model, tensors)
	if err != nil {
		return nil, nil, err
	}
	return h, data, nil
}

func provenance(h *modelfile.Header, weights, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Provenance of model.bin\n\n")
	fmt.Fprintf(&b, "model.bin is generated by `go generate ./internal/nudity/nsfw` (internal/convert); do not edit it.\n\n")
	fmt.Fprintf(&b, "- Package: `%s@%s` from the npm registry, fetched with `npm pack %s@%s`.\n", pkgName, pkgVersion, pkgName, pkgVersion)
	fmt.Fprintf(&b, "- Tarball SHA-256: `%s` (checked before anything is read).\n", tarballSHA256)
	fmt.Fprintf(&b, "- Licence: MIT, Copyright (c) 2019 Infinite Red, Inc. — LICENSE beside this file is the package's `LICENSE`.\n")
	fmt.Fprintf(&b, "- Converted: the `mobilenet_v2` model (`%s`, the tfjs layers-model JSON, and `%s`, the base64 weight shard). ", modelFile, shardFile)
	fmt.Fprintf(&b, "The other models of the package (`mobilenet_v2_mid`, `inception_v3`) are not used.\n")
	fmt.Fprintf(&b, "- Weights: %d tensors, %d weights, kept byte for byte as the package quantised them (uint8, with each tensor's `min` and `scale`; tfjs dequantises as `byte*scale+min`).\n", len(h.Tensors), weights)
	fmt.Fprintf(&b, "- Network: the Keras layer list (%d operations after folding) rewritten as convolutions, depthwise convolutions, residual additions, a mean pool and dense layers; ", len(h.Ops))
	fmt.Fprintf(&b, "zero padding layers become the padding of the convolution that follows, batch normalisation and ReLU/ReLU6 are attached to the convolution before them (folded into its weights when the model is loaded), dropout and flatten are dropped (they do nothing at inference).\n")
	fmt.Fprintf(&b, "- Input: %d×%d RGB scaled to [0, 1]; classes in output order: %s.\n", h.InputSize, h.InputSize, strings.Join(h.Classes, ", "))
	fmt.Fprintf(&b, "- File: %d bytes (magic, JSON header, weight bytes; see internal/modelfile).\n", size)
	return b.String()
}

package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/blob/natsblob"
)

// Where each kind of file is kept in the store the servers of a cluster
// share (natsblob, bucket SAFEGUARD_BLOBS): under a prefix of its own, with
// the key it has under its directory on one server.
const (
	sharedMedia    = "media/"    // uploaded media and E2EE attachments, sealed with the media key
	sharedEvidence = "evidence/" // the evidence vault's items, sealed with the evidence data key
	sharedReports  = "reports/"  // law-enforcement report packages, one prefix per reference
)

// bindClusterFiles defines --nats for an operator command that reads or
// writes the files of a cluster.
func bindClusterFiles(fs *flag.FlagSet, d *dataFlags) {
	fs.StringVar(&d.nats, "nats", "", "NATS server URL of a cluster (serve --nats): the media, evidence and report files are in the store its servers share, not in the data directory")
	bindKEK(fs, &d.kekFile)
}

// openClusterFiles connects to a cluster's NATS and opens the store its
// servers keep their files in; close ends the connection. Without a URL
// (one server, its files in the data directory) it opens nothing: files is
// nil and close does nothing.
func openClusterFiles(ctx context.Context, url string) (files blob.Store, close func(), err error) {
	return openFiles(ctx, url, natsblob.Config{Existing: true})
}

// openClusterFilesOf is openClusterFiles for the cluster named cluster
// (clusterID): a store another cluster made is refused, and one not made
// yet is made with the name.
func openClusterFilesOf(ctx context.Context, url, cluster string) (files blob.Store, close func(), err error) {
	return openFiles(ctx, url, natsblob.Config{Cluster: cluster})
}

// openFiles connects to url and opens the store as cfg says.
func openFiles(ctx context.Context, url string, cfg natsblob.Config) (files blob.Store, close func(), err error) {
	if url == "" {
		return nil, func() {}, nil
	}
	nc, err := nats.Connect(url, nats.Name("safeguard-cli"), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("--nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err == nil {
		files, err = natsblob.Open(ctx, js, cfg)
	}
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("--nats: %w", err)
	}
	return files, nc.Close, nil
}

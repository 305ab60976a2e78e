package main

// Where each kind of file is kept in the store the servers of a cluster
// share (natsblob, bucket SAFEGUARD_BLOBS): under a prefix of its own, with
// the key it has under its directory on one server.
const (
	sharedMedia    = "media/"    // uploaded media and E2EE attachments, sealed with the media key
	sharedEvidence = "evidence/" // the evidence vault's items, sealed with the evidence data key
	sharedReports  = "reports/"  // law-enforcement report packages, one prefix per reference
)

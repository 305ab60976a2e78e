//go:build !linux

package blob

import "os"

// syncFS is not available here: files are synced one by one.
func syncFS(*os.File) error { return errNoSyncFS }

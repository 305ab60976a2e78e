package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS writes out everything written to the file system f is on.
func syncFS(f *os.File) error {
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return &os.PathError{Op: "syncfs", Path: f.Name(), Err: err}
	}
	return nil
}

//go:build !linux

package mih

import "unsafe"

// adviseHuge does nothing where madvise(MADV_HUGEPAGE) is not available.
func adviseHuge(p unsafe.Pointer, size int) {}

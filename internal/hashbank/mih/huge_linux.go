package mih

import (
	"syscall"
	"unsafe"
)

// adviseHuge asks the kernel to back a large, not yet touched array with
// huge pages: the search reads its arrays at random, and with 4 KiB pages
// most reads would also miss the TLB. It is only advice; errors are ignored.
func adviseHuge(p unsafe.Pointer, size int) {
	if size < 2<<20 {
		return
	}
	const page = 2 << 20
	skip := int((page - uintptr(p)%page) % page)
	n := (size - skip) &^ (page - 1)
	if n <= 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(p, skip)), n)
	_ = syscall.Madvise(b, 14) // MADV_HUGEPAGE
}

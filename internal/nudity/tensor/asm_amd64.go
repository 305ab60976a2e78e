//go:build amd64 && !purego

package tensor

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveAsm says the assembly kernels are built in.
const haveAsm = true

// useAsm says the assembly kernels run: the processor has AVX2 and FMA.
// Tests turn it off to check the portable kernels in the same process.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func gemm6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *[2]float32, ldb int)

//go:noescape
func gemm6x8(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *[2]float32, ldb int)

//go:noescape
func dw3x3(dst *float32, r0 *float32, r1 *float32, r2 *float32, w *float32, bias *float32, c int, n int, step int, clamp *[16]float32)

//go:noescape
func dwTaps(dst *float32, taps *[18]unsafe.Pointer, n int, bias *float32, c int, clamp *[16]float32)

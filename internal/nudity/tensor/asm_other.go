//go:build !amd64 || purego

package tensor

import "unsafe"

// haveAsm says the assembly kernels are built in: not in this build.
const haveAsm = false

// useAsm is always false in this build; it exists for the tests.
var useAsm = false

const noAsm = "tensor: no assembly kernels in this build"

func gemm6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *[2]float32, ldb int) {
	panic(noAsm)
}

func gemm6x8(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *[2]float32, ldb int) {
	panic(noAsm)
}

func dw3x3(dst *float32, r0 *float32, r1 *float32, r2 *float32, w *float32, bias *float32, c int, n int, step int, clamp *[16]float32) {
	panic(noAsm)
}

func dwTaps(dst *float32, taps *[18]unsafe.Pointer, n int, bias *float32, c int, clamp *[16]float32) {
	panic(noAsm)
}

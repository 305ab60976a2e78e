//go:build !unix

package nsfw

func cpuTime() float64 { return 0 }

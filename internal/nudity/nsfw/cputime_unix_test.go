//go:build unix

package nsfw

import "syscall"

// cpuTime is the processor time, user and system, this process has used,
// in seconds: on a shared machine it counts the work done, not the time
// spent waiting for a core.
func cpuTime() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

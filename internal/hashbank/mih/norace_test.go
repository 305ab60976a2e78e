//go:build !race

package mih

const raceEnabled = false

package e2ee

import (
	"crypto/rand"
	"fmt"
	"strconv"
)

// MaxDeviceIDBytes is the longest device id.
const MaxDeviceIDBytes = 64

// DeviceID names one device of one account. An account may have several
// devices; each has its own identity keys.
type DeviceID struct {
	Account int64
	Device  string
}

// String returns "account/device".
func (d DeviceID) String() string { return strconv.FormatInt(d.Account, 10) + "/" + d.Device }

// Validate checks that the device part is 1 to 64 characters from
// [A-Za-z0-9_-].
func (d DeviceID) Validate() error {
	if d.Device == "" || len(d.Device) > MaxDeviceIDBytes {
		return fmt.Errorf("device id of %d bytes, want 1 to %d", len(d.Device), MaxDeviceIDBytes)
	}
	for i := 0; i < len(d.Device); i++ {
		c := d.Device[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("device id: byte %d (%q) not in [A-Za-z0-9_-]", i, c)
		}
	}
	return nil
}

func compareDeviceIDs(a, b DeviceID) int {
	switch {
	case a.Account < b.Account:
		return -1
	case a.Account > b.Account:
		return 1
	case a.Device < b.Device:
		return -1
	case a.Device > b.Device:
		return 1
	}
	return 0
}

// NewDeviceName returns a random device name of 12 upper-case letters and
// digits, for a device that has none yet.
func NewDeviceName() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // 32 symbols: no I, O, 0, 1
	var b [12]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return string(b[:])
}

package franking

import (
	"errors"
	"fmt"
	"github.com/safeguard-dev/safeguard/internal/wire"
	"time"
	"unicode/utf8"
)

// MaxDeviceIDBytes is the longest device id a context may carry.
const (
	MaxDeviceIDBytes  = 64
	contextEncodingV1 = 1
)

// Context is what the server binds a commitment to when it delivers a
// message: who sent it from which device, to whom, in which conversation,
// when, under which message id. It is the server's own view of the delivery.
type Context struct {
	SenderAccount    int64
	SenderDevice     string
	RecipientAccount int64
	ConversationID   int64
	ServerTime       time.Time
	MessageID        int64
}

// MarshalBinary returns the canonical encoding of c:
//
//	0x01                     encoding version
//	u64 sender account
//	u32 len ‖ sender device  UTF-8
//	u64 recipient account
//	u64 conversation id
//	i64 server time          Unix nanoseconds, UTC
//	u64 message id
//
// Integers are big-endian; signed ones in two's complement.
func (c Context) MarshalBinary() ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, malformed("context", err)
	}
	b := make([]byte, 0, 1+8+4+len(c.SenderDevice)+8*4)
	b = append(b, contextEncodingV1)
	b = wire.AppendU64(b, uint64(c.SenderAccount))
	b = wire.AppendBytes(b, []byte(c.SenderDevice))
	b = wire.AppendU64(b, uint64(c.RecipientAccount))
	b = wire.AppendU64(b, uint64(c.ConversationID))
	b = wire.AppendU64(b, uint64(c.ServerTime.UnixNano()))
	b = wire.AppendU64(b, uint64(c.MessageID))
	return b, nil
}

func (c Context) validate() error {
	switch {
	case c.SenderDevice == "" || len(c.SenderDevice) > MaxDeviceIDBytes:
		return fmt.Errorf("sender device: %d bytes, want 1 to %d", len(c.SenderDevice), MaxDeviceIDBytes)
	case !utf8.ValidString(c.SenderDevice):
		return errors.New("sender device: not valid UTF-8")
	case c.ServerTime.IsZero():
		return errors.New("server time: not set")
	case !time.Unix(0, c.ServerTime.UnixNano()).Equal(c.ServerTime):
		return fmt.Errorf("server time %s: outside the years 1678 to 2262", c.ServerTime)
	}
	return nil
}

// ParseContext decodes the canonical encoding of a context. It accepts
// exactly the encodings MarshalBinary produces. The server time comes back
// in UTC.
func ParseContext(b []byte) (Context, error) {
	r := wire.NewReader(b)
	if v := r.U8("version"); r.Err == nil && v != contextEncodingV1 {
		r.Fail("version %d, want %d", v, contextEncodingV1)
	}
	var c Context
	c.SenderAccount = int64(r.U64("sender account"))
	c.SenderDevice = string(r.Bytes("sender device", MaxDeviceIDBytes))
	c.RecipientAccount = int64(r.U64("recipient account"))
	c.ConversationID = int64(r.U64("conversation id"))
	c.ServerTime = time.Unix(0, int64(r.U64("server time"))).UTC()
	c.MessageID = int64(r.U64("message id"))
	r.End()
	if r.Err != nil {
		return Context{}, malformed("context", r.Err)
	}
	if err := c.validate(); err != nil {
		return Context{}, malformed("context", err)
	}
	return c, nil
}

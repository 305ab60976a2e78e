package natsbus

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
)

// Control messages tell every server of a cluster to do something now (say,
// put the newest risk rules in force). They go through core NATS, not the
// stream: a server not connected when one is sent misses it, so what they
// announce must also be found without them (the servers look now and then).

// Announce sends data to every server listening to the control subject
// name (Control.name), this one included.
func (b *Bus) Announce(ctx context.Context, name string, data []byte) error {
	subj, err := b.control(name)
	if err != nil {
		return err
	}
	if err := b.nc.Publish(subj, data); err != nil {
		return fmt.Errorf("nats control %s: %w", name, err)
	}
	// Flush, so that an announcement NATS did not take is an error here.
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("nats control %s: %w", name, err)
	}
	return nil
}

// Listen calls fn with each control message name, one at a time, until stop
// is called.
func (b *Bus) Listen(name string, fn func(data []byte)) (stop func(), err error) {
	subj, err := b.control(name)
	if err != nil {
		return nil, err
	}
	sub, err := b.nc.Subscribe(subj, func(m *nats.Msg) { fn(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("nats control %s: %w", name, err)
	}
	// Flush, so that the server has the subscription when Listen returns:
	// an announcement made after it, from any server, reaches fn.
	if err := b.nc.FlushTimeout(b.cfg.Timeout); err != nil {
		sub.Unsubscribe()
		return nil, fmt.Errorf("nats control %s: %w", name, err)
	}
	return func() { sub.Unsubscribe() }, nil
}

func (b *Bus) control(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, " \t\r\n*>.") {
		return "", fmt.Errorf("control %q: not a NATS subject token", name)
	}
	return b.cfg.Control + "." + name, nil
}

package web

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// PROXY protocol version 2 (HAProxy's binary header), so that a server behind
// a TCP load balancer learns the client's address and source port.

var proxySig = []byte{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A}

const proxyHeaderTimeout = 5 * time.Second

// ProxyListener wraps a listener whose every connection starts with a PROXY
// protocol v2 header. A connection without one is refused.
func ProxyListener(l net.Listener) net.Listener { return &proxyListener{Listener: l} }

type proxyListener struct{ net.Listener }

func (l *proxyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &proxyConn{Conn: c, r: bufio.NewReader(c)}, nil
}

// proxyConn reads the header on first use, in the connection's own
// goroutine, so a slow client never holds up Accept.
type proxyConn struct {
	net.Conn
	r      *bufio.Reader
	once   sync.Once
	remote net.Addr
	err    error
}

func (c *proxyConn) init() {
	c.once.Do(func() {
		c.Conn.SetReadDeadline(time.Now().Add(proxyHeaderTimeout))
		src, err := readProxyHeader(c.r)
		c.Conn.SetReadDeadline(time.Time{})
		if err != nil {
			c.err = err
			c.Conn.Close()
			return
		}
		if src.IsValid() {
			c.remote = net.TCPAddrFromAddrPort(src)
		} else {
			c.remote = c.Conn.RemoteAddr()
		}
	})
}

func (c *proxyConn) Read(b []byte) (int, error) {
	c.init()
	if c.err != nil {
		return 0, c.err
	}
	return c.r.Read(b)
}

func (c *proxyConn) RemoteAddr() net.Addr {
	c.init()
	if c.remote == nil {
		return c.Conn.RemoteAddr()
	}
	return c.remote
}

// readProxyHeader reads a PROXY v2 header and returns the source address, or
// the zero AddrPort for a LOCAL command (health checks by the proxy itself)
// and for address families it does not carry (UNIX, unspecified).
func readProxyHeader(r io.Reader) (netip.AddrPort, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return netip.AddrPort{}, fmt.Errorf("proxy protocol: short header: %w", err)
	}
	return parseProxyHeader(hdr, r)
}

func parseProxyHeader(hdr [16]byte, r io.Reader) (netip.AddrPort, error) {
	if !bytes.Equal(hdr[:12], proxySig) {
		return netip.AddrPort{}, errors.New("proxy protocol: no v2 signature")
	}
	if hdr[12]>>4 != 2 {
		return netip.AddrPort{}, fmt.Errorf("proxy protocol: version %d", hdr[12]>>4)
	}
	cmd := hdr[12] & 0xF
	if cmd > 1 {
		return netip.AddrPort{}, fmt.Errorf("proxy protocol: command %d", cmd)
	}
	n := int(binary.BigEndian.Uint16(hdr[14:16]))
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return netip.AddrPort{}, fmt.Errorf("proxy protocol: short address block: %w", err)
	}
	if cmd == 0 { // LOCAL
		return netip.AddrPort{}, nil
	}
	switch hdr[13] >> 4 {
	case 1: // AF_INET
		if n < 12 {
			return netip.AddrPort{}, errors.New("proxy protocol: short IPv4 block")
		}
		a := netip.AddrFrom4([4]byte(body[0:4]))
		return netip.AddrPortFrom(a, binary.BigEndian.Uint16(body[8:10])), nil
	case 2: // AF_INET6
		if n < 36 {
			return netip.AddrPort{}, errors.New("proxy protocol: short IPv6 block")
		}
		a := netip.AddrFrom16([16]byte(body[0:16])).Unmap()
		return netip.AddrPortFrom(a, binary.BigEndian.Uint16(body[32:34])), nil
	}
	return netip.AddrPort{}, nil
}

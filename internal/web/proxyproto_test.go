package web

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

// proxyV2 builds a PROXY v2 header for src → dst.
func proxyV2(src, dst netip.AddrPort) []byte {
	var b bytes.Buffer
	b.Write(proxySig)
	b.WriteByte(0x21) // v2, PROXY
	var body []byte
	if src.Addr().Is4() {
		b.WriteByte(0x11) // INET, STREAM
		s, d := src.Addr().As4(), dst.Addr().As4()
		body = append(append(body, s[:]...), d[:]...)
	} else {
		b.WriteByte(0x21) // INET6, STREAM
		s, d := src.Addr().As16(), dst.Addr().As16()
		body = append(append(body, s[:]...), d[:]...)
	}
	body = binary.BigEndian.AppendUint16(body, src.Port())
	body = binary.BigEndian.AppendUint16(body, dst.Port())
	binary.Write(&b, binary.BigEndian, uint16(len(body)))
	b.Write(body)
	return b.Bytes()
}

func TestProxyHeader(t *testing.T) {
	for _, src := range []string{"203.0.113.7:51234", "[2001:db8::1]:4711"} {
		want := netip.MustParseAddrPort(src)
		h := proxyV2(want, netip.MustParseAddrPort("192.0.2.1:443"))
		if !want.Addr().Is4() {
			h = proxyV2(want, netip.MustParseAddrPort("[2001:db8::2]:443"))
		}
		got, err := readProxyHeader(bytes.NewReader(append(h, "GET / HTTP/1.1\r\n"...)))
		if err != nil || got != want {
			t.Errorf("readProxyHeader(%s) = %v, %v", src, got, err)
		}
	}
	local := append(append([]byte{}, proxySig...), 0x20, 0x00, 0, 0)
	if got, err := readProxyHeader(bytes.NewReader(local)); err != nil || got.IsValid() {
		t.Errorf("LOCAL = %v, %v", got, err)
	}
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"http":        []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"v1":          append(append([]byte{}, proxySig...), 0x11, 0x11, 0, 0),
		"short block": append(append([]byte{}, proxySig...), 0x21, 0x11, 0, 12, 1, 2),
		"short ipv4":  append(append([]byte{}, proxySig...), 0x21, 0x11, 0, 2, 1, 2),
		"bad command": append(append([]byte{}, proxySig...), 0x2F, 0x11, 0, 0),
	} {
		if _, err := readProxyHeader(bytes.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzProxyHeader(f *testing.F) {
	f.Add(proxyV2(netip.MustParseAddrPort("203.0.113.7:51234"), netip.MustParseAddrPort("192.0.2.1:443")))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		readProxyHeader(bytes.NewReader(b))
	})
}

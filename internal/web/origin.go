package web

import (
	"net/http"
	"net/netip"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
)

// origin returns where a request came from: the client address and source
// port. Behind a PROXY-protocol listener the connection's remote address is
// already the client's; behind a proxy that sets ClientAddrHeader, the header
// is believed only when the peer is a trusted proxy.
func (s *Server) origin(r *http.Request) safeguard.Origin {
	peer, _ := netip.ParseAddrPort(r.RemoteAddr)
	o := safeguard.Origin{Addr: netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port()), At: s.now().UTC()}
	if s.cfg.ClientAddrHeader == "" || !s.trusted(peer.Addr()) {
		return o
	}
	if ap, ok := parseClientAddr(r.Header.Get(s.cfg.ClientAddrHeader)); ok {
		o.Addr = ap
	}
	return o
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseClientAddr reads "ip:port", "[v6]:port", or the first for= element of
// an RFC 7239 Forwarded header. A value without a port is refused: reports to
// law enforcement need the port.
func parseClientAddr(v string) (netip.AddrPort, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return netip.AddrPort{}, false
	}
	if first, _, _ := strings.Cut(v, ","); strings.Contains(strings.ToLower(first), "for=") {
		for _, part := range strings.Split(first, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.EqualFold(k, "for") {
				v = strings.Trim(strings.TrimSpace(val), `"`)
				break
			}
		}
	} else {
		v = strings.TrimSpace(first)
	}
	ap, err := netip.ParseAddrPort(v)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

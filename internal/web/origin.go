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
// is read only when the peer is a trusted proxy, and then from the right
// (clientAddr): anything left of the first untrusted hop is the client's to
// write, so it is never believed.
func (s *Server) origin(r *http.Request) safeguard.Origin {
	peer, _ := netip.ParseAddrPort(r.RemoteAddr)
	o := safeguard.Origin{Addr: netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port()), At: s.now().UTC()}
	if s.cfg.ClientAddrHeader == "" || !s.trusted(peer.Addr()) {
		return o
	}
	if ap, ok := clientAddr(r.Header.Values(s.cfg.ClientAddrHeader), s.trusted); ok {
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

// clientAddr reads the client from a forwarded chain: the values of an
// X-Forwarded-For style header ("203.0.113.7, 10.0.0.2", an element may
// carry a port) or of RFC 7239 Forwarded ("for=\"[2001:db8::1]:4711\";
// proto=https, for=10.0.0.2"). Each proxy appends the address it received
// from, so the chain is walked from the right: trusted proxies are skipped,
// and the first address that is not one is the client, with its port when
// the element gives one. A chain of trusted proxies only gives its leftmost
// element. An element that cannot be read ("unknown", an obfuscated name,
// garbage) ends the walk with no answer, since whoever wrote it is not
// trusted to name the hops before it.
func clientAddr(values []string, trusted func(netip.Addr) bool) (netip.AddrPort, bool) {
	var hops []string
	for _, v := range values {
		for el := range strings.SplitSeq(v, ",") {
			if el = strings.TrimSpace(el); el != "" {
				hops = append(hops, el)
			}
		}
	}
	var last netip.AddrPort
	for i := len(hops) - 1; i >= 0; i-- {
		ap, ok := parseHop(hops[i])
		if !ok {
			return netip.AddrPort{}, false
		}
		if !trusted(ap.Addr()) {
			return ap, true
		}
		last = ap
	}
	return last, last.IsValid()
}

// parseHop reads one element of a forwarded chain: "ip", "ip:port",
// "[v6]", "[v6]:port", or a Forwarded element whose for= parameter holds one
// of those, quoted or not. A missing port is port 0.
func parseHop(el string) (netip.AddrPort, bool) {
	v := strings.TrimSpace(el)
	if strings.Contains(strings.ToLower(v), "=") {
		found := false
		for part := range strings.SplitSeq(v, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
				v, found = strings.TrimSpace(val), true
				break
			}
		}
		if !found {
			return netip.AddrPort{}, false
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
	}
	if ap, err := netip.ParseAddrPort(v); err == nil && ap.Addr().Zone() == "" {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	}
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = v[1 : len(v)-1]
	}
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), 0), true
}

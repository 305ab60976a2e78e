package urls

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	"golang.org/x/net/idna"
)

// MaxBytes is the longest link or list entry that is normalised; a longer
// one is refused (list entries) or not looked up (links in messages).
const MaxBytes = 4096

// Link is a URL in normalised form, the form in which links in messages and
// URL list entries are compared:
//
//   - no scheme (http and https are the same), user information or fragment;
//   - the host in lower case, internationalised names in punycode (IDNA
//     lookup rules), without a trailing dot or a leading "www.", an IPv4 or
//     IPv6 address in its canonical form;
//   - no default port (80 or 443);
//   - the path with dot segments resolved, repeated and trailing slashes
//     dropped, and percent-encoding normalised: unreserved characters
//     decoded, every other escape in upper case, bytes outside ASCII
//     escaped;
//   - the query without tracking parameters (utm_*, fbclid, gclid, …), its
//     escapes normalised like the path's, parameters sorted.
type Link struct {
	Host  string // host name, without the port
	Port  string // "" for a default port
	Path  string // "" for the root, else starting with "/"
	Query string // "" when there is none
}

// Key returns the link as list entries store it: host[:port][path][?query].
func (l Link) Key() string {
	k := l.hostPort() + l.Path
	if l.Query != "" {
		k += "?" + l.Query
	}
	return k
}

func (l Link) hostPort() string {
	if l.Port == "" {
		return l.Host
	}
	return l.Host + ":" + l.Port
}

// String returns the key.
func (l Link) String() string { return l.Key() }

// candidate is a key under which a list entry of kind would match a link.
type candidate struct {
	kind safeguard.URLEntryKind
	key  string
}

// candidates returns the keys of every list entry that would match l: the
// whole link (an exact entry), the host and each parent domain down to two
// labels (domain entries, whatever the port), and the host with each path
// prefix that ends at a segment boundary (path entries).
func (l Link) candidates() []candidate {
	out := []candidate{{safeguard.URLExact, l.Key()}}
	if _, err := netip.ParseAddr(strings.Trim(l.Host, "[]")); err == nil {
		out = append(out, candidate{safeguard.URLDomain, l.Host})
	} else {
		for h := l.Host; ; {
			out = append(out, candidate{safeguard.URLDomain, h})
			_, parent, ok := strings.Cut(h, ".")
			if !ok || !strings.Contains(parent, ".") {
				break
			}
			h = parent
		}
	}
	hp := l.hostPort()
	out = append(out, candidate{safeguard.URLPath, hp})
	for i := 1; i < len(l.Path); i++ {
		if l.Path[i] == '/' {
			out = append(out, candidate{safeguard.URLPath, hp + l.Path[:i]})
		}
	}
	if l.Path != "" {
		out = append(out, candidate{safeguard.URLPath, hp + l.Path})
	}
	return out
}

// errNotURL is wrapped by every normalisation failure.
var errNotURL = errors.New("not a web address")

func notURL(format string, args ...any) error {
	return &safeguard.Error{Kind: safeguard.ErrInvalid, Code: "invalid_url", Message: fmt.Sprintf(format, args...), Err: errNotURL}
}

// deobfuscate undoes the usual ways of writing a link so that filters miss
// it: "bad[.]example", "hxxps://".
var deobfuscate = strings.NewReplacer(
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".",
	"．", ".", "。", ".", "｡", ".",
	"hxxp://", "http://", "hxxps://", "https://", "HXXP://", "http://", "HXXPS://", "https://",
)

// idnaProfile converts host names as a browser looking them up would.
var idnaProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.BidiRule())

// Normalize normalises a web address written with or without a scheme
// ("https://Example.COM./a", "www.example.com/a", "example.com:443/a" are
// all "example.com/a"). It fails for anything that is not an http(s)
// address with a valid host.
func Normalize(raw string) (Link, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Link{}, notURL("The address is empty.")
	}
	if len(s) > MaxBytes {
		return Link{}, notURL("The address is longer than %d bytes.", MaxBytes)
	}
	if !utf8.ValidString(s) {
		return Link{}, notURL("The address is not valid UTF-8.")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return Link{}, notURL("The address contains a space or a control character.")
		}
	}
	s = deobfuscate.Replace(s)
	if scheme, rest, ok := strings.Cut(s, "://"); ok && isScheme(scheme) {
		switch strings.ToLower(scheme) {
		case "http", "https":
			s = rest
		default:
			return Link{}, notURL("Only web addresses (http and https) are matched, not %q.", strings.ToLower(scheme))
		}
	} else {
		s = strings.TrimPrefix(s, "//")
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, "\\", "/") // browsers read a backslash as a slash
	authority, rest := s, ""
	if i := strings.IndexAny(s, "/?"); i >= 0 {
		authority, rest = s[:i], s[i:]
	}
	path, query, _ := strings.Cut(rest, "?")
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	hostText, port, err := splitHostPort(authority)
	if err != nil {
		return Link{}, err
	}
	host, err := normalizeHost(hostText)
	if err != nil {
		return Link{}, err
	}
	return Link{Host: host, Port: port, Path: normalizePath(path), Query: normalizeQuery(query)}, nil
}

// splitHostPort splits "host", "host:port", "[v6]" or "[v6]:port", and
// returns the port without leading zeros, or "" for none or a default port.
func splitHostPort(a string) (host, port string, err error) {
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", notURL("The address has an unclosed '['.")
		}
		host, a = a[1:end], a[end+1:]
		if a != "" && a[0] != ':' {
			return "", "", notURL("The address has text after its IPv6 host.")
		}
		port = strings.TrimPrefix(a, ":")
		if _, err := netip.ParseAddr(host); err != nil {
			return "", "", notURL("The host in brackets is not an IPv6 address.")
		}
	} else {
		var ok bool
		host, port, ok = strings.Cut(a, ":")
		if ok && strings.Contains(port, ":") {
			return "", "", notURL("The address has more than one port.")
		}
	}
	if port == "" {
		return host, "", nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strings.HasPrefix(port, "+") {
		return "", "", notURL("The port %q is not a number from 1 to 65535.", port)
	}
	if n == 80 || n == 443 {
		return host, "", nil
	}
	return host, strconv.Itoa(n), nil
}

func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// normalizeHost returns a host name in lower-case ASCII (punycode), without
// a trailing dot or a leading "www.", or an IP address in canonical form
// (IPv6 in brackets).
func normalizeHost(h string) (string, error) {
	if strings.Contains(h, "%") {
		if u, err := url.PathUnescape(h); err == nil {
			h = u
		}
	}
	h = strings.TrimRight(h, ".")
	if h == "" {
		return "", notURL("The address has no host.")
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		ip = ip.Unmap()
		if ip.Is6() {
			return "[" + ip.WithZone("").String() + "]", nil
		}
		return ip.String(), nil
	}
	a, err := idnaProfile.ToASCII(h)
	if err != nil {
		// Underscores and the like break strict lookup rules but occur in
		// real host names: fall back to lower case, ASCII only.
		a = strings.ToLower(h)
		for i := 0; i < len(a); i++ {
			c := a[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return "", notURL("The host %q is not a valid name.", h)
			}
		}
	}
	a = strings.TrimRight(a, ".")
	for _, label := range strings.Split(a, ".") {
		if label == "" || len(label) > 63 {
			return "", notURL("The host %q has an empty or overlong label.", h)
		}
	}
	if rest, ok := strings.CutPrefix(a, "www."); ok && strings.Contains(rest, ".") {
		a = rest
	}
	return a, nil
}

// normalizePath resolves dot segments, drops empty segments and a trailing
// slash, and normalises escapes. The root is "".
func normalizePath(p string) string {
	var segs []string
	for seg := range strings.SplitSeq(p, "/") {
		switch normalizeEscapes(seg) {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, normalizeEscapes(seg))
		}
	}
	if len(segs) == 0 {
		return ""
	}
	return "/" + strings.Join(segs, "/")
}

// trackingParams are query parameters that say where a click came from and
// nothing about what the link points to.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true, "msclkid": true,
	"yclid": true, "igshid": true, "mc_cid": true, "mc_eid": true, "_hsenc": true, "_hsmi": true,
	"mkt_tok": true, "twclid": true, "ttclid": true, "li_fat_id": true, "srsltid": true, "si": true,
}

// normalizeQuery drops tracking parameters and empty ones, normalises
// escapes and sorts what remains.
func normalizeQuery(q string) string {
	if q == "" {
		return ""
	}
	var params []string
	for p := range strings.SplitSeq(q, "&") {
		if p == "" {
			continue
		}
		p = normalizeEscapes(p)
		name, _, _ := strings.Cut(p, "=")
		name = strings.ToLower(name)
		if trackingParams[name] || strings.HasPrefix(name, "utm_") {
			continue
		}
		params = append(params, p)
	}
	slices.Sort(params)
	return strings.Join(params, "&")
}

// normalizeEscapes decodes escapes of unreserved characters, writes every
// other escape in upper case, escapes a '%' that starts no escape, and
// escapes bytes outside printable ASCII.
func normalizeEscapes(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if unreserved(v) {
				b.WriteByte(v)
			} else {
				writeEscape(&b, v)
			}
			i += 2
		case c == '%':
			b.WriteString("%25")
		case c <= 0x20 || c >= 0x7f:
			writeEscape(&b, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func writeEscape(b *strings.Builder, c byte) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&15])
}

func ishex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The model files of nsfwjs are browserify bundles whose one module is
// `X.exports = <object literal>` (the tfjs model.json, minified: bare keys,
// !0 and !1 for true and false, numbers such as .5) or `X.exports = "<base64>"`
// (the weight shard). jsValue reads such a literal without running any of
// the package's code.

// exportedLiteral returns the text of the literal that the bundle's first
// module exports.
func exportedLiteral(src string) (string, error) {
	i := strings.Index(src, "{1:[function(")
	if i < 0 {
		return "", fmt.Errorf("not a browserify bundle: no module 1")
	}
	j := strings.Index(src[i:], ".exports=")
	if j < 0 {
		return "", fmt.Errorf("module 1 exports nothing")
	}
	return src[i+j+len(".exports="):], nil
}

// litParser parses a JavaScript object literal into the values
// encoding/json would give: map[string]any, []any, string, float64, bool, nil.
type litParser struct {
	s   string
	pos int
}

func parseLiteral(s string) (any, int, error) {
	p := &litParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, p.pos, fmt.Errorf("offset %d: %w", p.pos, err)
	}
	return v, p.pos, nil
}

func (p *litParser) peek() byte {
	if p.pos >= len(p.s) {
		return 0
	}
	return p.s[p.pos]
}

func (p *litParser) value() (any, error) {
	switch c := p.peek(); {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '!':
		return p.bang()
	case c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	case strings.HasPrefix(p.s[p.pos:], "null"):
		p.pos += 4
		return nil, nil
	case strings.HasPrefix(p.s[p.pos:], "true"):
		p.pos += 4
		return true, nil
	case strings.HasPrefix(p.s[p.pos:], "false"):
		p.pos += 5
		return false, nil
	default:
		return nil, fmt.Errorf("unexpected %q", c)
	}
}

func (p *litParser) bang() (any, error) {
	if p.pos+1 >= len(p.s) {
		return nil, errors.New("truncated escape: \"!\" at the end")
	}
	d := p.s[p.pos+1]
	p.pos += 2
	switch d {
	case '0':
		return true, nil
	case '1':
		return false, nil
	}
	return nil, fmt.Errorf("unexpected !%c", d)
}

func (p *litParser) number() (any, error) {
	start := p.pos
	for p.pos < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.pos]) >= 0 {
		p.pos++
	}
	text := p.s[start:p.pos]
	switch {
	case strings.HasPrefix(text, "-."):
		text = "-0." + text[2:]
	case strings.HasPrefix(text, "."):
		text = "0" + text
	}
	return strconv.ParseFloat(text, 64)
}

func (p *litParser) str() (any, error) {
	end := p.pos + 1
	for end < len(p.s) && p.s[end] != '"' {
		if p.s[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(p.s) {
		return nil, fmt.Errorf("unterminated string")
	}
	raw := p.s[p.pos : end+1]
	p.pos = end + 1
	if !strings.Contains(raw, `\`) {
		return raw[1 : len(raw)-1], nil
	}
	return strconv.Unquote(raw)
}

func (p *litParser) key() (string, error) {
	if p.peek() == '"' {
		v, err := p.str()
		if err != nil {
			return "", err
		}
		return v.(string), nil
	}
	start := p.pos
	for p.pos < len(p.s) && (isIdent(p.s[p.pos])) {
		p.pos++
	}
	if p.pos == start {
		return "", fmt.Errorf("expected a key, found %q", p.peek())
	}
	return p.s[start:p.pos], nil
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *litParser) expect(c byte) error {
	if p.peek() != c {
		return fmt.Errorf("expected %q, found %q", c, p.peek())
	}
	p.pos++
	return nil
}

func (p *litParser) object() (any, error) {
	p.pos++ // {
	m := map[string]any{}
	for p.peek() != '}' {
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[k] = v
		if p.peek() == ',' {
			p.pos++
		} else if p.peek() != '}' {
			return nil, fmt.Errorf("expected , or } in object, found %q", p.peek())
		}
	}
	p.pos++
	return m, nil
}

func (p *litParser) array() (any, error) {
	p.pos++ // [
	a := []any{}
	for p.peek() != ']' {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if p.peek() == ',' {
			p.pos++
		} else if p.peek() != ']' {
			return nil, fmt.Errorf("expected , or ] in array, found %q", p.peek())
		}
	}
	p.pos++
	return a, nil
}

package listfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sort"
	"strings"
)

// hmaContent is the part of an HMA bank content object
// (GET /c/bank/<name>/content/<id>?include_signals=true) that a list needs:
// its id and its signals by signal type name.
type hmaContent struct {
	ID      json.RawMessage   `json:"id"`
	Signals map[string]string `json:"signals"`
}

// parseHMA reads HMA bank content objects: a JSON array of them, or one or
// more objects one after another (JSON lines). Signal types other than PDQ,
// MD5 and SHA-256 (such as vpdq) are skipped, but every object must carry at
// least one of those.
func parseHMA(r io.Reader, opts Options, emit func(Record) error) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	lines := lineStarts(data)
	lineAt := func(off int64) int {
		// The line of the first byte at or after off that is not space or
		// a comma: where the object starts.
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
			off++
		}
		return sort.Search(len(lines), func(i int) bool { return lines[i] > int(off) }) + 1
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	first := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(first) == 0 {
		return nil
	}
	inArray := first[0] == '['
	if inArray {
		if _, err := dec.Token(); err != nil {
			return jsonError(err, lineAt)
		}
	}
	for {
		if inArray && !dec.More() {
			if _, err := dec.Token(); err != nil { // the closing ]
				return jsonError(err, lineAt)
			}
			if _, err := dec.Token(); err != io.EOF {
				return invalid(lineAt(dec.InputOffset()), "text after the closing ]")
			}
			break
		}
		start := dec.InputOffset()
		var c hmaContent
		err := dec.Decode(&c)
		if err == io.EOF && !inArray {
			break
		}
		if err != nil {
			return jsonError(err, lineAt)
		}
		line := lineAt(start)
		rec := Record{Line: line, Quality: -1}
		if len(c.ID) > 0 && string(c.ID) != "null" {
			var id any
			_ = json.Unmarshal(c.ID, &id)
			switch v := id.(type) {
			case string:
				rec.ExternalID = v
			case float64:
				rec.ExternalID = string(c.ID)
			default:
				return invalid(line, "id is a number or a string")
			}
		}
		names := make([]string, 0, len(c.Signals))
		for name := range c.Signals {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			k, ok := kindNames[strings.ToLower(name)]
			if !ok {
				continue
			}
			if err := setHash(&rec.Hashes, k, c.Signals[name]); err != nil {
				return invalid(line, "signal %s: %v", name, err)
			}
		}
		if rec.Kinds == 0 {
			return invalid(line, "no pdq, video_md5 or video_sha256 signal in this item")
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
	return nil
}

// lineStarts returns the offset at which each line after the first starts.
func lineStarts(data []byte) []int {
	var out []int
	for i, b := range data {
		if b == '\n' {
			out = append(out, i+1)
		}
	}
	return out
}

func jsonError(err error, lineAt func(int64) int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return invalid(lineAt(max(se.Offset-1, 0)), "%v", se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return invalid(lineAt(max(te.Offset-1, 0)), "%s is the wrong type of JSON value (want %v)", te.Field, te.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return invalid(lineAt(1<<62), "the JSON ends too soon")
	}
	return invalid(1, "%v", err)
}

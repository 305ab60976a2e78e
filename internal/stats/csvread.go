package stats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// recordReader reads CSV records as people export them from spreadsheets:
// RFC 4180 quoting, CRLF or LF, quoted fields over several lines, and spaces
// around a quoted field (` "1,234" ,`), which encoding/csv refuses. It
// streams: one record in memory at a time.
type recordReader struct {
	br     *bufio.Reader
	line   int // lines read so far
	start  int // the line the last record started on
	buf    []byte
	ends   []int
	fields []string
}

// syntaxError is a CSV syntax error at a row and column (1-based; the
// column counts bytes).
type syntaxError struct {
	line, col int
	msg       string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("row %d, column %d: %s", e.line, e.col, e.msg)
}

func newRecordReader(r io.Reader) *recordReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &recordReader{br: br}
}

// readLine returns the next line without its line ending, or io.EOF.
func (r *recordReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if len(line) == 0 && err != nil {
		return nil, err
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	r.line++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, nil
}

// Read returns the next record. The slice and its strings are valid until
// the next call; copy what you keep.
func (r *recordReader) Read() ([]string, error) {
	line, err := r.readLine()
	if err != nil {
		return nil, err
	}
	r.start = r.line
	r.buf = r.buf[:0]
	r.ends = r.ends[:0]
	i := 0
	for {
		// At the start of a field.
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < len(line) && line[i] == '"' {
			// Quoted field: drop the spaces before it.
			openLine, openCol := r.line, i+1
			i++
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					r.buf = append(r.buf, line[i:]...)
					next, err := r.readLine()
					if err != nil {
						return nil, &syntaxError{openLine, openCol, "a quoted cell is never closed"}
					}
					r.buf = append(r.buf, '\n')
					line, i = next, 0
					continue
				}
				r.buf = append(r.buf, line[i:i+j]...)
				i += j + 1
				if i < len(line) && line[i] == '"' { // "" is one quote
					r.buf = append(r.buf, '"')
					i++
					continue
				}
				break
			}
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if i < len(line) && line[i] != ',' {
				return nil, &syntaxError{r.line, i + 1, fmt.Sprintf("text %q after a closing quote", clip(line[i:]))}
			}
		} else {
			j := bytes.IndexByte(line[i:], ',')
			end := len(line)
			if j >= 0 {
				end = i + j
			}
			if q := bytes.IndexByte(line[i:end], '"'); q >= 0 {
				return nil, &syntaxError{r.line, i + q + 1, "a quote inside a cell that does not start with one (quote the whole cell and double the quote)"}
			}
			r.buf = append(r.buf, line[i:end]...)
			i = end
		}
		r.ends = append(r.ends, len(r.buf))
		if i >= len(line) {
			break
		}
		i++ // the comma
	}
	s := string(r.buf)
	r.fields = r.fields[:0]
	prev := 0
	for _, e := range r.ends {
		r.fields = append(r.fields, s[prev:e])
		prev = e
	}
	return r.fields, nil
}

func clip(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "…"
	}
	return string(b)
}

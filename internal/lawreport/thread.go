package lawreport

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
)

// threadHeader is the first row of thread.csv.
var threadHeader = []string{"sent_at", "message_id", "sender_account_id", "sender_handle", "kind", "held", "file", "text"}

// threadCSV writes the message thread as CSV, one message a row, with the
// file each message carries named as in the export. Cells that a spreadsheet
// would run as a formula are prefixed with an apostrophe, so that opening
// the file never executes what a suspect wrote.
func threadCSV(inc *Incident, files []File) ([]byte, error) {
	byIndex := map[int]string{}
	for _, f := range files {
		byIndex[f.Index] = f.Name
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(threadHeader); err != nil {
		return nil, err
	}
	for _, m := range inc.Thread {
		file := ""
		if m.ContentIndex > 0 {
			if file = byIndex[m.ContentIndex]; file == "" {
				file = "content " + strconv.Itoa(m.ContentIndex) + " (no file)"
			}
		}
		row := []string{stamp(m.SentAt), m.ID, m.SenderID, m.SenderHandle, m.Kind, strconv.FormatBool(m.Held), file, m.Text}
		for i := range row {
			row[i] = defuse(row[i])
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// defuse neutralises a cell that a spreadsheet would read as a formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

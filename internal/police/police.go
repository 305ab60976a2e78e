// Package police knows the UK's police force areas and which one polices each
// local authority, so that an account, a case and a law-enforcement report can
// be routed to the force that covers the child. The data is ONS open data
// embedded in the binary (see data/README.md for sources and licences).
package police

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
)

//go:embed data/*.csv
var files embed.FS

// Codes of forces the ONS lookup does not cover.
const (
	ScotlandCode        = "S23000009"
	NorthernIrelandCode = "N99999999" // ONS pseudo-code; ONS publishes no PFA code for NI
)

// Force is a police force and the area it covers.
type Force struct {
	Code    string // ONS police force area code, e.g. E23000026
	Name    string // the force's own name, e.g. "Bedfordshire Police"
	Area    string // the ONS area name, e.g. "Bedfordshire"
	Region  string
	Country string
}

// LocalAuthority is a local authority district (England, Wales), council area
// (Scotland) or district (Northern Ireland) and the force that polices it.
type LocalAuthority struct {
	Code      string // ONS code; empty for Scottish and NI areas named without one
	Name      string
	ForceCode string
}

var (
	forces     []Force
	forceByKey = map[string]*Force{}
	laByKey    = map[string]LocalAuthority{}
)

func init() {
	if err := load(); err != nil {
		panic("police: embedded data: " + err.Error())
	}
}

// Forces returns every force, in ONS code order (Police Service of Northern
// Ireland last but one, British Transport Police, which has no area, left out).
func Forces() []Force { return append([]Force(nil), forces...) }

// ByCode returns the force with the ONS code.
func ByCode(code string) (Force, bool) {
	f, ok := forceByKey[strings.ToUpper(strings.TrimSpace(code))]
	if !ok {
		return Force{}, false
	}
	return *f, true
}

// MatchForce finds a force by a name as people write it: the force's own
// name ("Metropolitan Police Service"), the ONS area name ("London, City of"),
// or the usual variants ("Devon & Cornwall", "City of London", "Met Police"),
// in any case and punctuation, or by its code.
func MatchForce(name string) (Force, bool) {
	if f, ok := ByCode(name); ok {
		return f, true
	}
	name = stripParenthetical(name)
	if f, ok := forceByKey[normalize(name)]; ok {
		return *f, true
	}
	// "Avon and Somerset Constabulary" when the force calls itself
	// "Avon and Somerset Police": compare without the force's title.
	if k := forceKey(name); k != "" {
		if f, ok := forceByKey[k]; ok {
			return *f, true
		}
	}
	return Force{}, false
}

// stripParenthetical drops a trailing "(…)" such as the abbreviation in
// "Metropolitan Police Service (MPS)", unless nothing would be left.
func stripParenthetical(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, ")") {
		if i := strings.LastIndex(t, "("); i > 0 {
			return strings.TrimSpace(t[:i])
		}
	}
	return s
}

// LookupLocalAuthority finds a local authority by ONS code or by name.
// Scottish council areas (codes S12…) map to Police Scotland, Northern
// Ireland districts (N09…) to the PSNI.
func LookupLocalAuthority(s string) (LocalAuthority, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return LocalAuthority{}, false
	}
	if la, ok := laByKey[strings.ToUpper(s)]; ok {
		return la, true
	}
	if la, ok := laByKey[normalize(s)]; ok {
		return la, true
	}
	up := strings.ToUpper(s)
	if isGSS(up) {
		switch up[:3] {
		case "S12":
			return LocalAuthority{Code: up, Name: up, ForceCode: ScotlandCode}, true
		case "N09":
			return LocalAuthority{Code: up, Name: up, ForceCode: NorthernIrelandCode}, true
		}
	}
	return LocalAuthority{}, false
}

// isGSS reports whether s looks like a 9-character GSS code: a letter and
// eight digits.
func isGSS(s string) bool {
	if len(s) != 9 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// normalize folds a name to a key: lower case, "&" as "and", punctuation and
// the words that forces add to their area's name dropped, "City of X" and
// "X, City of" made one.
func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "&", " and ")
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteRune(' ')
		}
	}
	words := strings.Fields(b.String())
	// "london city of" → "city of london"
	if n := len(words); n >= 3 && words[n-2] == "city" && words[n-1] == "of" {
		words = append([]string{"city", "of"}, words[:n-2]...)
	}
	return strings.Join(words, " ")
}

// forceKey strips the words forces add to their area's names, for matching
// "Bedfordshire Police", "Cambridgeshire Constabulary" and "Bedfordshire"
// alike.
func forceKey(s string) string {
	words := strings.Fields(normalize(s))
	out := words[:0]
	for _, w := range words {
		switch w {
		case "police", "constabulary", "service", "force", "the":
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

func readCSV(name string) ([][]string, error) {
	b, err := files.ReadFile("data/" + name)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	var rows [][]string
	header := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if header {
			header = false
			continue
		}
		rows = append(rows, rec)
	}
}

func load() error {
	areaNames := map[string]string{}
	rows, err := readCSV("ons-pfa19-names-codes-uk.csv")
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r[2] != "" {
			areaNames[r[1]] = r[2]
		}
	}
	rows, err = readCSV("forces.csv")
	if err != nil {
		return err
	}
	for _, r := range rows {
		f := Force{Code: r[0], Name: r[1], Region: r[2], Country: r[3]}
		switch {
		case f.Name == "Police Service of Northern Ireland":
			f.Code = NorthernIrelandCode
		case f.Code == "":
			continue // British Transport Police: no police force area
		}
		f.Area = areaNames[f.Code]
		forces = append(forces, f)
	}
	sort.Slice(forces, func(i, j int) bool { return forces[i].Code < forces[j].Code })
	for i := range forces {
		f := &forces[i]
		forceByKey[f.Code] = f
		for _, n := range []string{f.Name, f.Area} {
			if n != "" {
				forceByKey[normalize(n)] = f
				forceByKey[forceKey(n)] = f
			}
		}
	}
	for alias, code := range forceAliases {
		forceByKey[normalize(alias)] = forceByKey[code]
	}

	rows, err = readCSV("ons-lad19-csp19-pfa19-lookup-ew.csv")
	if err != nil {
		return err
	}
	for _, r := range rows {
		addLA(LocalAuthority{Code: r[1], Name: r[2], ForceCode: r[5]})
	}
	rows, err = readCSV("lad-successors-2020-2023-to-pfa.csv")
	if err != nil {
		return err
	}
	for _, r := range rows {
		addLA(LocalAuthority{Code: r[0], Name: r[1], ForceCode: r[4]})
	}
	for _, n := range scottishCouncilAreas {
		addLA(LocalAuthority{Name: n, ForceCode: ScotlandCode})
	}
	for _, n := range northernIrelandDistricts {
		addLA(LocalAuthority{Name: n, ForceCode: NorthernIrelandCode})
	}
	for _, la := range laByKey {
		if _, ok := forceByKey[la.ForceCode]; !ok {
			return fmt.Errorf("local authority %s %q: unknown force %s", la.Code, la.Name, la.ForceCode)
		}
	}
	return nil
}

func addLA(la LocalAuthority) {
	if la.Code != "" {
		laByKey[la.Code] = la
	}
	laByKey[normalize(la.Name)] = la
}

// forceAliases are names in common use that the data files do not spell.
var forceAliases = map[string]string{
	"Met":                    "E23000001",
	"Met Police":             "E23000001",
	"The Met":                "E23000001",
	"Metropolitan":           "E23000001",
	"London":                 "E23000001",
	"MPS":                    "E23000001",
	"Hampshire Constabulary": "E23000030",
	"Hampshire and IOW":      "E23000030",
	"Hampshire and IoW":      "E23000030",
	"Avon & Somerset":        "E23000036",
	"Dyfed Powys":            "W15000004",
	"GMP":                    "E23000005",
	"Greater Manchester":     "E23000005",
	"Thames Valley":          "E23000029",
	"TVP":                    "E23000029",
	"West Mercia":            "E23000016",
	"PSNI":                   NorthernIrelandCode,
	"Northern Ireland":       NorthernIrelandCode,
	"Scotland":               ScotlandCode,
}

var scottishCouncilAreas = []string{
	"Aberdeen City", "Aberdeenshire", "Angus", "Argyll and Bute", "City of Edinburgh", "Edinburgh",
	"Clackmannanshire", "Dumfries and Galloway", "Dundee City", "East Ayrshire", "East Dunbartonshire",
	"East Lothian", "East Renfrewshire", "Falkirk", "Fife", "Glasgow City", "Glasgow", "Highland", "Inverclyde",
	"Midlothian", "Moray", "Na h-Eileanan Siar", "North Ayrshire", "North Lanarkshire", "Orkney Islands",
	"Perth and Kinross", "Renfrewshire", "Scottish Borders", "Shetland Islands", "South Ayrshire",
	"South Lanarkshire", "Stirling", "West Dunbartonshire", "West Lothian",
}

var northernIrelandDistricts = []string{
	"Antrim and Newtownabbey", "Ards and North Down", "Armagh City, Banbridge and Craigavon", "Belfast",
	"Causeway Coast and Glens", "Derry City and Strabane", "Fermanagh and Omagh", "Lisburn and Castlereagh",
	"Mid and East Antrim", "Mid Ulster", "Newry, Mourne and Down",
}

package lawreport

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	ttemplate "text/template"
)

// indexData is what README.txt and index.html show.
type indexData struct {
	Test       bool
	Marker     string
	Draft      bool
	DraftNote  string
	Manual     bool
	Reference  string
	FollowUpOf string
	Created    string
	Priority   Priority
	Routes     []indexRoute
	Unrouted   []string
	NCMECPrior string
	Files      []indexFile
}

type indexRoute struct{ Role, AccountID, Force, Code string }

// indexFile is one row of the file table. Media files are not linked, so
// that nobody opens abuse material by a stray click.
type indexFile struct {
	Name, What string
	Link       bool
}

func describeFiles(pkg *Package, names []string) []indexFile {
	what := map[string]string{
		ExportNCA:    "Report to the National Crime Agency (JSON, schema version 1): upload through the NCA portal.",
		ExportNCMEC:  "NCMEC CyberTipline report (XML).",
		ExportThread: "The message thread around the content (CSV).",
	}
	for i := range pkg.Files {
		f := &pkg.Files[i]
		var to []string
		if f.ForNCA {
			to = append(to, "NCA")
		}
		if f.ForNCMEC {
			to = append(to, "NCMEC")
			what[fileDetailsName(f)] = fmt.Sprintf("NCMEC file details of content %d (report and file ids are given by NCMEC on upload).", f.Index)
		}
		what[f.Name] = fmt.Sprintf("Content %d, for %s. Handle as evidence.", f.Index, strings.Join(to, " and "))
	}
	var out []indexFile
	for _, n := range names {
		out = append(out, indexFile{Name: n, What: what[n], Link: !strings.HasPrefix(n, "media/")})
	}
	return out
}

func newIndexData(pkg *Package, names []string) indexData {
	d := indexData{
		Test:       pkg.Test,
		Marker:     TestMarker,
		Draft:      pkg.Draft,
		DraftNote:  DraftMarker,
		Manual:     pkg.Manual,
		Reference:  pkg.Reference,
		FollowUpOf: pkg.FollowUpOf,
		Created:    stamp(pkg.CreatedAt),
		Priority:   pkg.Priority,
		Unrouted:   pkg.Unrouted,
		NCMECPrior: pkg.NCMECPrior,
		Files:      describeFiles(pkg, names),
	}
	for _, r := range pkg.Routes {
		role := "Child"
		if r.Role == "reported_user" {
			role = "Reported user"
		}
		d.Routes = append(d.Routes, indexRoute{Role: role, AccountID: r.AccountID, Force: r.Force.Name, Code: r.Force.Code})
	}
	return d
}

// renderIndex writes README.txt and index.html. In a test package every line
// of README.txt starts with the test marker, so that every printed page says
// TEST; index.html repeats a fixed banner on every printed page.
func renderIndex(pkg *Package, names []string) (readme, index []byte, err error) {
	d := newIndexData(pkg, names)
	var t bytes.Buffer
	if err := readmeTmpl.Execute(&t, d); err != nil {
		return nil, nil, err
	}
	readme = t.Bytes()
	readme = markLines(readme, pkg.Test, pkg.Draft)
	var h bytes.Buffer
	if err := indexTmpl.Execute(&h, d); err != nil {
		return nil, nil, err
	}
	return readme, h.Bytes(), nil
}

// markLines marks every line of a test or draft package's README, so that
// every printed page says so: each line starts with [TEST] and/or [DRAFT],
// between lines giving the markers' sentences (each tagged with the other
// marker, if any).
func markLines(text []byte, test, draft bool) []byte {
	type mark struct{ tag, sentence string }
	var marks []mark
	if test {
		marks = append(marks, mark{"[TEST] ", TestMarker})
	}
	if draft {
		marks = append(marks, mark{"[DRAFT] ", DraftMarker})
	}
	if len(marks) == 0 {
		return text
	}
	var prefix string
	for _, m := range marks {
		prefix += m.tag
	}
	var sentences bytes.Buffer
	for _, m := range marks {
		sentences.WriteString(strings.Replace(prefix, m.tag, "", 1) + m.sentence + "\n")
	}
	var b bytes.Buffer
	b.Write(sentences.Bytes())
	for line := range strings.Lines(string(text)) {
		b.WriteString(prefix + line)
	}
	b.Write(sentences.Bytes())
	return b.Bytes()
}

var readmeTmpl = ttemplate.Must(ttemplate.New("readme").Parse(`Law-enforcement report package
Reference: {{.Reference}}
{{- if .FollowUpOf}}
Follow-up of: {{.FollowUpOf}}{{end}}
Created: {{.Created}}
{{- if .Manual}}
No reporting person is configured: whoever submits this package gives their
own name and email address when they submit it.{{end}}
Priority {{.Priority.Level}}{{if eq .Priority.Level 1}} (a child at immediate risk: report at once){{end}}
{{- range .Priority.Reasons}}
  - {{.}}{{end}}

Police force areas (ONS codes)
{{- range .Routes}}
  {{.Role}} {{.AccountID}}: {{.Force}} ({{.Code}}){{end}}
{{- range .Unrouted}}
  Account {{.}}: no police force area known{{end}}
{{- if .NCMECPrior}}

Already reported to NCMEC as {{.NCMECPrior}}: no NCMEC report in this package.{{end}}

Files
{{- range .Files}}
  {{.Name}}
      {{.What}}{{end}}

Retention: keep the report reference for five years (S.I. 2026/268); content
and related data one year, unless a legal hold applies.
`))

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{if .Draft}}DRAFT – {{end}}{{if .Test}}TEST – {{end}}Report {{.Reference}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #111; background: #fff; }
{{- if .Draft}}
.draft { margin: 0 0 1rem; padding: .6rem; text-align: center; background: #e8e8ff; color: #000050;
         font-weight: bold; border: 3px dashed #000050; }
{{- end}}
{{- if .Test}}
.test { position: fixed; top: 0; left: 0; right: 0; padding: .4rem; text-align: center;
        background: #fff3b0; color: #5c0000; font-weight: bold; border-bottom: 3px solid #5c0000; }
body { padding-top: 3rem; }
@media print { .test { position: fixed; } }
{{- end}}
table { border-collapse: collapse; }
th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid #999; vertical-align: top; }
.p1 { color: #8b0000; font-weight: bold; }
</style>
</head>
<body>
{{- if .Test}}
<div class="test" role="note">TEST – {{.Marker}}</div>
{{- end}}
<main>
{{- if .Draft}}
<div class="draft" role="note">{{.DraftNote}}</div>
{{- end}}
<h1>{{if .Draft}}DRAFT – {{end}}{{if .Test}}TEST – {{end}}Law-enforcement report {{.Reference}}</h1>
{{- if .Manual}}
<p>No reporting person is configured: whoever submits this package gives their own name and email address when they submit it.</p>
{{- end}}
<p>Created {{.Created}}.{{if .FollowUpOf}} Follow-up of {{.FollowUpOf}}.{{end}}</p>
<h2>Priority</h2>
<p{{if eq .Priority.Level 1}} class="p1"{{end}}>Priority {{.Priority.Level}}{{if eq .Priority.Level 1}}: a child at immediate risk. Report at once.{{end}}</p>
<ul>{{range .Priority.Reasons}}<li>{{.}}</li>{{end}}</ul>
<h2>Police force areas</h2>
<table>
<thead><tr><th scope="col">Role</th><th scope="col">Account</th><th scope="col">Force</th><th scope="col">ONS code</th></tr></thead>
<tbody>
{{- range .Routes}}
<tr><td>{{.Role}}</td><td>{{.AccountID}}</td><td>{{.Force}}</td><td>{{.Code}}</td></tr>
{{- end}}
{{- range .Unrouted}}
<tr><td></td><td>{{.}}</td><td colspan="2">No police force area known</td></tr>
{{- end}}
</tbody>
</table>
{{- if .NCMECPrior}}
<p>Already reported to NCMEC as {{.NCMECPrior}}: no NCMEC report in this package.</p>
{{- end}}
<h2>Files</h2>
<table>
<thead><tr><th scope="col">File</th><th scope="col">What it is</th></tr></thead>
<tbody>
{{- range .Files}}
<tr><td>{{if .Link}}<a href="{{.Name}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td><td>{{.What}}</td></tr>
{{- end}}
</tbody>
</table>
<p>Retention: keep the report reference for five years (S.I. 2026/268); content and related data one year, unless a legal hold applies.</p>
</main>
</body>
</html>
`))

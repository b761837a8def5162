package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strconv"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
)

// The page is one file: styles, script, data and SVG plots inline, nothing
// fetched. html/template escapes every label in its context (text,
// attribute, JSON in a script element), so a benchmark or cell name cannot
// inject markup; the SVGs come from gonum/plot, which escapes their text.
var page = template.Must(template.New("page").Funcs(template.FuncMap{"pct": pct, "spct": signedPct, "short": shortFunc}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem auto;max-width:1200px;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.88rem}
th,td{border:1px solid #ddd;padding:.2rem .5rem;vertical-align:top}
th{background:#f4f4f4;text-align:left}
table.sortable th{cursor:pointer}table.sortable th::after{content:" \2195";color:#999}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.better{background:#e3f1fb}td.worse{background:#fbe9df;font-weight:600}
.warn{background:#fff6d5;border-left:4px solid #E69F00;padding:.4rem .7rem;margin:.4rem 0}
.bad{background:#fbe9df;border-left:4px solid #D55E00;padding:.4rem .7rem;margin:.4rem 0}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.85rem;color:#555}
.fn{font-family:ui-monospace,monospace;font-size:.82rem}
small{color:#666}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<table id="header">
{{range .Header}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{range .HostWarnings}}<div class="warn">noisy host: {{.}}</div>
{{end}}
{{if .Failed}}<h2 id="failed">Failed, skipped and invalid</h2>
<p>Invalid runs (a missed rate, a crash, a timeout) are listed here and left out of every table and figure.</p>
<table class="sortable"><thead><tr><th>cell</th><th>status</th><th>reason</th></tr></thead><tbody>
{{range .Failed}}<tr class="bad"><td>{{.Cell}}</td><td>{{.Status}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table>{{end}}
{{range .Warnings}}<div class="warn">{{.}}</div>
{{end}}
<h2 id="results">Results</h2>
{{if .Tables}}<p>{{.CompareNote}} <span id="ncmp"></span></p>
{{range .Tables}}<h3>{{.Title}}</h3>
<p><small>{{.Summary}} with 95% CI; {{.Better}}</small></p>
<table class="sortable"><thead><tr><th>benchmark</th>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}{{if .Sort}} data-v="{{.Sort}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{range .Notes}}<div><small>{{.}}</small></div>{{end}}
{{end}}{{else}}<p>No benchmark results.</p>{{end}}
{{if .Plots}}<h2 id="plots">Plots</h2>
{{range .Plots}}<figure id="plot-{{.Name}}">{{.SVG}}<figcaption>{{.Caption}} <small>(plots/{{.Name}}.svg{{if .PNG}}, .png{{end}})</small></figcaption></figure>
{{end}}{{end}}
{{if .Diffs}}<h2 id="diffs">Profile changes</h2>
{{range .Diffs}}<h3>{{.Base}} → {{.Cand}}</h3>
{{if .Changes}}<ul>{{range .Changes}}<li>{{.Row}} {{.Unit}}: <b>{{.DeltaString}}</b> ({{.PString}})</li>{{end}}</ul>{{end}}
{{range .Diffs}}<p>{{.Kind}} profile: functions whose share changed most</p>
<table class="sortable"><thead><tr><th>function</th><th>flat</th><th>Δ flat</th><th>cum</th><th>Δ cum</th></tr></thead><tbody>
{{range .Funcs}}<tr><td class="fn" title="{{.Name}}">{{short .Name}}</td><td class="num">{{pct .BaseFlat}} → {{pct .CandFlat}}</td><td class="num" data-v="{{.FlatDelta}}">{{spct .FlatDelta}}</td><td class="num">{{pct .BaseCum}} → {{pct .CandCum}}</td><td class="num" data-v="{{.CumDelta}}">{{spct .CumDelta}}</td></tr>
{{end}}</tbody></table>
{{end}}{{end}}{{end}}
{{if .Profiles}}<h2 id="profiles">Profiles</h2>
{{range .Profiles}}{{$cell := .Cell}}{{range .Tops}}<details><summary>{{$cell}} — {{.Kind}} ({{.SampleType}})</summary>
<table class="sortable"><thead><tr><th>function</th><th>flat</th><th>cum</th></tr></thead><tbody>
{{range .Funcs}}<tr><td class="fn" title="{{.Name}}">{{short .Name}}</td><td class="num" data-v="{{.Flat}}">{{pct .Flat}}</td><td class="num" data-v="{{.Cum}}">{{pct .Cum}}</td></tr>
{{end}}</tbody></table></details>
{{end}}{{end}}{{end}}
<p><small>Generated {{.Generated}} by harness report from the results folder alone.</small></p>
<script type="application/json" id="comparisons">{{.JSON}}</script>
<script>
(function(){
  var data = JSON.parse(document.getElementById("comparisons").textContent || "[]");
  var n = document.getElementById("ncmp");
  if (n) n.textContent = data.length + " comparisons, " + data.filter(function(c){return c.Regression;}).length + " significant regressions.";
  document.querySelectorAll("table.sortable").forEach(function(table){
    table.querySelectorAll("thead th").forEach(function(th, col){
      var asc = true;
      th.addEventListener("click", function(){
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var x = a.cells[col], y = b.cells[col];
          if (!x || !y) return 0;
          var xv = x.getAttribute("data-v"), yv = y.getAttribute("data-v");
          var r = (xv !== null && yv !== null) ? parseFloat(xv) - parseFloat(yv) : x.textContent.localeCompare(y.textContent);
          return asc ? r : -r;
        });
        asc = !asc;
        rows.forEach(function(r){ body.appendChild(r); });
      });
    });
  });
})();
</script>
</body>
</html>
`))

type htmlCell struct {
	Text, Class, Sort string
}

type htmlTable struct {
	Title, Summary, Better string
	Head                   []string
	Rows                   [][]htmlCell
	Notes                  []string
}

type htmlFailed struct {
	Cell   string
	Status results.Status
	Reason string
}

type htmlPlot struct {
	Name, Caption string
	SVG           template.HTML
	PNG           bool
}

type comparisonJSON struct {
	Table, Row, Unit, Base, Cand string
	BaseCenter, CandCenter       float64
	Delta, P                     float64
	Significant, Regression      bool
}

// WriteHTML writes index.html.
func (m *Model) WriteHTML(w io.Writer) error {
	d := struct {
		Title        string
		Header       []headerLine
		HostWarnings []string
		Failed       []htmlFailed
		Warnings     []string
		CompareNote  string
		Tables       []htmlTable
		Plots        []htmlPlot
		Diffs        []*DiffSection
		Profiles     []*CellProfiles
		Generated    string
		JSON         []comparisonJSON
	}{
		Title:        m.Run.Manifest.Name + " — " + m.Run.Manifest.RunID,
		Header:       m.header(),
		HostWarnings: m.HostWarnings(),
		Warnings:     append(append([]string(nil), m.Run.Manifest.Warnings...), m.Warnings...),
		Diffs:        m.Diffs,
		Profiles:     m.Profiles,
		Generated:    m.Generated.Format("2006-01-02 15:04:05 UTC"),
		JSON:         []comparisonJSON{},
	}
	for _, c := range m.Failed() {
		d.Failed = append(d.Failed, htmlFailed{c.ID, c.Status, c.Reason})
		for _, r := range c.Invalid() {
			d.Failed = append(d.Failed, htmlFailed{fmt.Sprintf("%s run %d", c.ID, r.Index), r.Status, r.Reason})
		}
	}
	if m.Compare != nil {
		o := m.Compare.Options
		d.CompareNote = fmt.Sprintf("Columns %q, rows %q, tables %q, filter %q; α = %v. \"~\" means no significant difference.", o.Col, o.Row, o.Table, o.Filter, o.Alpha)
		for _, t := range m.Compare.Tables {
			d.Tables = append(d.Tables, tableHTML(t))
			for _, r := range t.Rows {
				for _, c := range r.Cells {
					if c == nil || c.Cmp == nil {
						continue
					}
					x := c.Cmp
					d.JSON = append(d.JSON, comparisonJSON{x.Table, x.Row, x.Unit, x.BaseLabel, x.CandLabel, x.Base.Center, x.Cand.Center, finite(x.Delta), x.P, x.Significant, x.Regression})
				}
			}
		}
	}
	for _, p := range m.Plots {
		d.Plots = append(d.Plots, htmlPlot{Name: p.Name, Caption: p.Caption, SVG: template.HTML(inlineSVG(p.SVG)), PNG: p.PNG != nil})
	}
	return page.Execute(w, d)
}

func finite(x float64) float64 {
	if x > 1e300 {
		return 1e300
	}
	if x < -1e300 {
		return -1e300
	}
	return x
}

// inlineSVG drops the XML prolog and doctype gonum writes, which have no
// place inside an HTML document.
func inlineSVG(svg []byte) []byte {
	if i := bytes.Index(svg, []byte("<svg")); i > 0 {
		return svg[i:]
	}
	return svg
}

func tableHTML(t *compare.Table) htmlTable {
	h := htmlTable{Title: t.Title(), Summary: t.Summary, Better: t.BetterString()}
	for j, c := range t.Cols {
		h.Head = append(h.Head, c)
		if j > 0 {
			h.Head = append(h.Head, "vs base", "test")
		}
	}
	notes := map[string]int{}
	mark := func(ws []string) string {
		s := ""
		for _, w := range ws {
			i, ok := notes[w]
			if !ok {
				i = len(h.Notes) + 1
				notes[w] = i
				h.Notes = append(h.Notes, fmt.Sprintf("(%d) %s", i, w))
			}
			s += fmt.Sprintf(" (%d)", i)
		}
		return s
	}
	for _, r := range t.Rows {
		row := []htmlCell{{Text: r.Name}}
		for j, c := range r.Cells {
			if c == nil {
				row = append(row, htmlCell{})
				if j > 0 {
					row = append(row, htmlCell{}, htmlCell{})
				}
				continue
			}
			row = append(row, htmlCell{Text: t.FormatValue(c.Center) + " ± " + c.RangeString() + mark(c.Warnings), Class: "num", Sort: strconv.FormatFloat(c.Center, 'g', -1, 64)})
			if j > 0 {
				if c.Cmp == nil {
					row = append(row, htmlCell{}, htmlCell{})
					continue
				}
				class := "num"
				switch {
				case c.Cmp.Regression:
					class += " worse"
				case c.Cmp.Improvement():
					class += " better"
				}
				row = append(row, htmlCell{Text: c.Cmp.DeltaString(), Class: class, Sort: strconv.FormatFloat(finite(c.Cmp.Delta), 'g', -1, 64)},
					htmlCell{Text: c.Cmp.PString() + mark(c.Cmp.Warnings), Sort: strconv.FormatFloat(c.Cmp.P, 'g', -1, 64)})
			}
		}
		h.Rows = append(h.Rows, row)
	}
	if t.Geomean != nil {
		row := []htmlCell{{Text: "geomean"}}
		for j, g := range t.Geomean {
			v := ""
			if g.HasValue {
				v = t.FormatValue(g.Value)
			}
			row = append(row, htmlCell{Text: v + mark(g.Warnings), Class: "num"})
			if j > 0 {
				r := "?"
				if g.HasRatio {
					r = fmt.Sprintf("%+.2f%%", (g.Ratio-1)*100)
				}
				row = append(row, htmlCell{Text: r, Class: "num"}, htmlCell{})
			}
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

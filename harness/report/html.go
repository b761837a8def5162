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
var page = template.Must(template.New("page").Funcs(template.FuncMap{"pct": pct, "spct": signedPct, "short": shortFunc, "sample": fmtSample, "dsample": fmtSampleDelta, "sub": func(a, b float64) float64 { return a - b }}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1320px;padding:.6rem 1rem;color:#222;line-height:1.35;overflow-wrap:anywhere}
h1{font-size:1.3rem;margin:.2rem 0 .3rem}h1 small{font-size:.8rem;font-weight:normal;color:#666}
h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem}
#answers .lead{margin:.2rem 0 .5rem;font-size:.9rem;color:#333}
#answers .q h2{font-size:1rem;border:0;margin:.6rem 0 .1rem;padding:0}#answers .q h2 a{color:#222;text-decoration:none}
#answers ul{margin:0;padding-left:1.1rem;font-size:.86rem}#answers li{margin:.12rem 0}
.v{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:.8rem;font-weight:600;background:#eee}
.v-good{background:#cfe8f7;color:#0b4f7a}.v-bad{background:#f9d9c8;color:#8a2e00}.v-none{background:#e8e8e8;color:#333}.v-unusable{background:#fff0b8;color:#6b5200}.v-mixed{background:#eadcf5;color:#4b2a6b}
a.go{font-size:.78rem;color:#0072B2}
details{margin:.8rem 0}details>summary{cursor:pointer;font-weight:600}
.wide{max-width:100%;overflow-x:auto}
table.q td{white-space:nowrap}
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
<section id="answers">
<h1>Answers <small>{{.Name}} · {{.RunID}} · {{.Status}}</small></h1>
<p class="lead">{{.Intro}}</p>
{{range .Questions}}<div class="q"><h2><a href="#{{.Slug}}">{{.Title}}</a></h2>
<ul>{{$q := .}}{{range .Lines}}<li><span class="v v-{{.Class}}">{{.Verdict}}</span> <b>{{.Where}}</b> {{.Cand}} vs {{.Base}}: {{.Detail}} <a class="go" href="#{{$q.Slug}}">table</a>{{range .Plots}} · <a class="go" href="#plot-{{.Name}}">{{.Label}}</a>{{end}}</li>
{{else}}<li>no cells of this run answer it</li>
{{end}}{{range .Capacity}}<li class="cap">{{.}}</li>
{{end}}</ul></div>
{{end}}</section>
<details id="run"><summary>Run: {{.Status}}; {{.Summary}}</summary>
<table id="header">
{{range .Header}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{range .HostWarnings}}<div class="warn">noisy host: {{.}}</div>
{{end}}
{{if .Failed}}<h3 id="failed">Failed, skipped and invalid</h3>
<p>Invalid runs (a missed rate, a crash, a timeout) are listed here and left out of every table and figure.</p>
<div class="wide"><table class="sortable"><thead><tr><th>cell</th><th>status</th><th>reason</th></tr></thead><tbody>
{{range .Failed}}<tr class="bad"><td>{{.Cell}}</td><td>{{.Status}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table></div>{{end}}
{{if .Warnings}}<h3 id="warnings">Warnings</h3>
{{range .Warnings}}<div class="warn">{{.}}</div>
{{end}}{{end}}
</details>
{{if .QTables}}<h2 id="questions">Questions</h2>
{{range .QTables}}<section id="{{.Slug}}"><h3>{{.Title}}</h3>
{{range .Tables}}<p><small>{{.Summary}} of the valid runs with its 95% CI; below each candidate, its effect against the base ({{.Better}})</small></p>
<div class="wide"><table class="sortable q"><thead><tr><th>{{.Metric}}</th>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}{{if .Sort}} data-v="{{.Sort}}"{{end}}>{{.Text}}{{if .Sub}}<br><small>{{.Sub}}</small>{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
{{end}}{{range .Plots}}<figure id="plot-{{.Name}}">{{.SVG}}<figcaption>{{.Caption}} <small>(plots/{{.Name}}.svg{{if .PNG}}, .png{{end}})</small></figcaption></figure>
{{end}}</section>
{{end}}{{end}}
{{if .Builds}}<h2 id="builds">Builds</h2>
<div class="wide"><table class="sortable"><thead><tr><th>build</th><th>status</th><th>build time</th><th>binary</th><th>cells</th></tr></thead><tbody>
{{range .Builds}}<tr><td>{{.Key}}</td><td>{{.Status}}</td><td>{{.Time}}</td><td class="num">{{.Size}}</td><td class="num">{{.Cells}}</td></tr>
{{end}}</tbody></table></div>{{end}}
{{if .HTTP}}<h2 id="http">HTTP cells</h2>
<p><small>Over the valid runs: the answers the load client got, its connections, and the runtime figures of each process (the comparison tables' gc-pause, peak-rss and allocs are the load client's).</small></p>
<div class="wide"><table class="sortable"><thead><tr><th>cell</th><th>runs</th><th>status codes</th><th>errors</th><th>connections</th><th>server</th><th>load client</th></tr></thead><tbody>
{{range .HTTP}}<tr><td>{{.Cell}}</td><td class="num">{{.Runs}}</td><td>{{.StatusCodes}}</td><td>{{.Errors}}</td><td>{{.Connections}}</td><td>{{.Server}}</td><td>{{.Client}}</td></tr>
{{end}}</tbody></table></div>{{end}}
{{if .Sweeps}}<h2 id="sweeps">Rate sweeps</h2>
<p><small>{{.SweepIntro}}</small></p>
{{range .Sweeps}}<h3>{{.Title}}{{if .Plot}} <a class="go" href="#plot-{{.Plot}}">plot</a>{{end}}</h3>
<div class="wide"><table><thead><tr>{{range $.SweepHead}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
{{end}}{{end}}
{{if .Instr}}<h2 id="instructions">Instructions cells</h2>
<p><small>{{.InstrIntro}}</small></p>
<div class="wide"><table class="sortable"><thead><tr><th>cell</th><th>runs</th><th>counted with</th><th>hidden from Go</th><th>turned off</th><th>note</th></tr></thead><tbody>
{{range .Instr}}<tr><td>{{.Cell}}</td><td class="num">{{.Runs}}</td><td>{{.Counts}}</td><td>{{.Hidden}}</td><td>{{.Masked}}</td><td>{{.Note}}</td></tr>
{{end}}</tbody></table></div>{{end}}
{{if .Plots}}<h2 id="plots">Latency and rate plots</h2>
{{range .Plots}}<figure id="plot-{{.Name}}">{{.SVG}}<figcaption>{{.Caption}} <small>(plots/{{.Name}}.svg{{if .PNG}}, .png{{end}})</small></figcaption></figure>
{{end}}{{end}}
<details id="results"><summary>All metrics: benchstat tables <span id="ncmp"></span></summary>
{{if .Tables}}<p>{{.CompareNote}}</p>
{{range .Tables}}<h3>{{.Title}}</h3>
<p><small>{{.Summary}} with 95% CI; {{.Better}}</small></p>
<div class="wide"><table class="sortable"><thead><tr><th>benchmark</th>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}{{if .Sort}} data-v="{{.Sort}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
{{range .Notes}}<div><small>{{.}}</small></div>{{end}}
{{end}}{{else}}<p>No benchmark results.</p>{{end}}
</details>
{{if .Diffs}}<h2 id="diffs">Profile changes</h2>
<p><small>Between each compared pair of cells, the functions whose samples changed most in absolute terms; the driver's own frames (pacer, recorder) are left out.</small></p>
{{range .Diffs}}<h3>{{.Base}} → {{.Cand}}</h3>
{{if .Changes}}<ul>{{range .Changes}}<li>{{.Row}} {{.Unit}}: <b>{{.DeltaString}}</b> ({{.PString}})</li>{{end}}</ul>{{end}}
{{range .Diffs}}{{$u := .Unit}}<p>{{.Kind}} profile, per run ({{.BaseRuns}} base and {{.CandRuns}} candidate runs merged)</p>
<div class="wide"><table class="sortable"><thead><tr><th>function</th><th>flat</th><th>Δ flat</th><th>cum</th><th>Δ cum</th></tr></thead><tbody>
{{range .Funcs}}<tr><td class="fn" title="{{.Name}}">{{short .Name}}</td><td class="num">{{sample $u .BaseFlatV}} → {{sample $u .CandFlatV}}<br><small>{{pct .BaseFlat}} → {{pct .CandFlat}}</small></td><td class="num" data-v="{{sub .CandFlatV .BaseFlatV}}">{{dsample $u (sub .CandFlatV .BaseFlatV)}}</td><td class="num">{{sample $u .BaseCumV}} → {{sample $u .CandCumV}}<br><small>{{pct .BaseCum}} → {{pct .CandCum}}</small></td><td class="num" data-v="{{sub .CandCumV .BaseCumV}}">{{dsample $u (sub .CandCumV .BaseCumV)}}</td></tr>
{{end}}</tbody></table></div>
{{end}}{{end}}{{end}}
{{if .Profiles}}<h2 id="profiles">Profiles</h2>
{{range .Profiles}}{{$cell := .Cell}}{{range .Tops}}<details><summary>{{$cell}} — {{.Kind}} ({{.SampleType}})</summary>
<div class="wide"><table class="sortable"><thead><tr><th>function</th><th>flat</th><th>cum</th></tr></thead><tbody>
{{range .Funcs}}<tr><td class="fn" title="{{.Name}}">{{short .Name}}</td><td class="num" data-v="{{.Flat}}">{{pct .Flat}}</td><td class="num" data-v="{{.Cum}}">{{pct .Cum}}</td></tr>
{{end}}</tbody></table></div></details>
{{end}}{{end}}{{end}}
<p><small>Generated {{.Generated}} by harness report from the results folder alone.</small></p>
<script type="application/json" id="comparisons">{{.JSON}}</script>
<script>
(function(){
  var data = JSON.parse(document.getElementById("comparisons").textContent || "[]");
  var n = document.getElementById("ncmp");
  if (n) n.textContent = "(" + data.length + " comparisons)";
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
	Text, Class, Sort, Sub string
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
	Significant, Worse           bool
}

type htmlAnswerLine struct {
	Class, Verdict, Where, Cand, Base, Detail string
	Plots                                     []htmlLink
}

type htmlLink struct{ Name, Label string }

type htmlSweep struct {
	Title, Plot string
	Rows        [][]string
}

type htmlQuestion struct {
	Slug, Title string
	Lines       []htmlAnswerLine
	Plots       []htmlLink
	Capacity    []string
}

type htmlQTable struct {
	Summary, Better, Metric string
	Head                    []string
	Rows                    [][]htmlCell
}

type htmlQSection struct {
	Slug, Title string
	Tables      []htmlQTable
	Plots       []htmlPlot
}

type htmlBuild struct {
	Key, Status, Time, Size string
	Cells                   int
}

// WriteHTML writes index.html: the Answers first, then the run's details
// folded, the question tables and plots, the builds, and everything else.
func (m *Model) WriteHTML(w io.Writer) error {
	mf := m.Run.Manifest
	d := struct {
		Title, Name, RunID, Status, Intro, Summary string
		Questions                                  []htmlQuestion
		QTables                                    []htmlQSection
		Builds                                     []htmlBuild
		HTTP                                       []HTTPRow
		Instr                                      []InstrRow
		InstrIntro                                 string
		Sweeps                                     []htmlSweep
		SweepIntro                                 string
		SweepHead                                  []string
		Header                                     []headerLine
		HostWarnings                               []string
		Failed                                     []htmlFailed
		Warnings                                   []string
		CompareNote                                string
		Tables                                     []htmlTable
		Plots                                      []htmlPlot
		Diffs                                      []*DiffSection
		Profiles                                   []*CellProfiles
		Generated                                  string
		JSON                                       []comparisonJSON
	}{
		Title:        "Answers — " + mf.Name + " — " + mf.RunID,
		Name:         mf.Name,
		RunID:        mf.RunID,
		Status:       string(mf.Status),
		Intro:        m.answersIntro(),
		Header:       m.header(),
		Instr:        m.Instr,
		InstrIntro:   instrIntro,
		HostWarnings: m.HostWarnings(),
		Warnings:     append(append([]string(nil), mf.Warnings...), m.Warnings...),
		Diffs:        m.Diffs,
		Profiles:     m.Profiles,
		Generated:    m.Generated.Format("2006-01-02 15:04:05 UTC"),
		JSON:         []comparisonJSON{},
	}
	invalid := 0
	for _, c := range m.Failed() {
		d.Failed = append(d.Failed, htmlFailed{c.ID, c.Status, c.Reason})
		for _, r := range c.Invalid() {
			d.Failed = append(d.Failed, htmlFailed{fmt.Sprintf("%s run %d", c.ID, r.Index), r.Status, r.Reason})
			invalid++
		}
	}
	d.Summary = fmt.Sprintf("%d cells not ok, %d invalid runs, %d warnings, %d host warnings — host, toolchains, matrix", len(m.Failed()), invalid, len(d.Warnings), len(d.HostWarnings))
	plotByName := map[string]*Plot{}
	for _, p := range m.Plots {
		plotByName[p.Name] = p
	}
	questionPlots := map[string]bool{}
	for _, q := range m.Questions {
		hq := htmlQuestion{Slug: q.Slug, Title: q.Title}
		sec := htmlQSection{Slug: q.Slug, Title: q.Title}
		for _, u := range q.Units {
			if p := m.questionPlot(q, u); p != nil {
				hq.Plots = append(hq.Plots, htmlLink{p.Name, metricLabel(u) + " plot"})
				sec.Plots = append(sec.Plots, htmlPlot{Name: p.Name, Caption: p.Caption, SVG: template.HTML(inlineSVG(p.SVG)), PNG: p.PNG != nil})
				questionPlots[p.Name] = true
			}
		}
		for _, a := range q.Answers {
			for _, l := range a.Lines {
				_, verdict, detail := a.lineText(l)
				hl := htmlAnswerLine{Class: l.Class, Verdict: verdict, Where: a.Where(), Cand: l.Cand, Base: a.Base, Detail: detail}
				for _, ma := range l.Metrics {
					if p := m.questionPlot(q, ma.Unit); p != nil {
						hl.Plots = append(hl.Plots, htmlLink{p.Name, metricLabel(ma.Unit) + " plot"})
					}
				}
				hq.Lines = append(hq.Lines, hl)
			}
		}
		for _, c := range q.Capacity {
			hq.Capacity = append(hq.Capacity, c.Text())
		}
		for i, t := range q.Tables {
			sec.Tables = append(sec.Tables, questionTableHTML(t, metricLabel(q.Units[i])+" ("+t.Unit+")"))
		}
		d.Questions = append(d.Questions, hq)
		d.QTables = append(d.QTables, sec)
	}
	d.Builds = m.builds()
	d.HTTP = m.HTTP
	d.SweepIntro, d.SweepHead = sweepIntro, sweepHead
	for _, s := range m.Sweeps {
		d.Sweeps = append(d.Sweeps, htmlSweep{Title: s.Title(), Plot: s.Plot, Rows: s.Rows()})
	}
	if m.Compare != nil {
		o := m.Compare.Options
		d.CompareNote = fmt.Sprintf("Every metric of every benchmark in benchstat's layout: columns %q, rows %q, tables %q, filter %q; α = %v. \"~\" means no significant difference.", o.Col, o.Row, o.Table, o.Filter, o.Alpha)
		for _, t := range m.Compare.Tables {
			d.Tables = append(d.Tables, tableHTML(t))
			for _, r := range t.Rows {
				for _, c := range r.Cells {
					if c == nil || c.Cmp == nil {
						continue
					}
					x := c.Cmp
					d.JSON = append(d.JSON, comparisonJSON{x.Table, x.Row, x.Unit, x.BaseLabel, x.CandLabel, x.Base.Center, x.Cand.Center, finite(x.Delta), x.P, x.Significant, x.Significant && x.Better != 0 && x.Delta*float64(x.Better) < 0})
				}
			}
		}
	}
	for _, p := range m.Plots {
		if questionPlots[p.Name] {
			continue
		}
		d.Plots = append(d.Plots, htmlPlot{Name: p.Name, Caption: p.Caption, SVG: template.HTML(inlineSVG(p.SVG)), PNG: p.PNG != nil})
	}
	return page.Execute(w, d)
}

// builds lists the run's builds: status, time (a cache hit says how long
// the original build took), binary size, and how many cells use each.
func (m *Model) builds() []htmlBuild {
	cells := map[string]int{}
	for _, c := range m.Run.Cells {
		cells[c.Build]++
	}
	var out []htmlBuild
	for _, b := range m.Run.Manifest.Builds {
		hb := htmlBuild{Key: b.Key, Status: string(b.Status), Cells: cells[b.Key], Time: buildTime(b)}
		if b.SizeB > 0 {
			hb.Size = fmtValue("B", float64(b.SizeB))
		}
		out = append(out, hb)
	}
	return out
}

// buildTime says how long a build took: "built in 3.30s", or for a cache
// hit "cached, built in 3.30s originally".
func buildTime(b *results.Build) string {
	if b.BuildNs <= 0 {
		if b.Cached {
			return "cached"
		}
		return ""
	}
	t := fmtValue("ns", float64(b.BuildNs))
	if b.Cached {
		return "cached, built in " + t + " originally"
	}
	return "built in " + t
}

// questionTableHTML lays out a question table: a row per answer, a column
// per configuration; each candidate cell shows its effect against the
// base under its value.
func questionTableHTML(t *compare.Table, metric string) htmlQTable {
	h := htmlQTable{Summary: t.Summary, Better: t.BetterString(), Metric: metric, Head: t.Cols}
	for _, r := range t.Rows {
		row := []htmlCell{{Text: r.Name}}
		for _, c := range r.Cells {
			if c == nil {
				row = append(row, htmlCell{Text: "—"})
				continue
			}
			hc := htmlCell{Text: t.FormatValue(c.Center) + " ± " + c.RangeString() + fmt.Sprintf(" (n=%d)", c.N), Class: "num", Sort: strconv.FormatFloat(c.Center, 'g', -1, 64)}
			if x := c.Cmp; x != nil {
				e := x.Effect
				hc.Sub = fmt.Sprintf("%s [%s, %s] %s", fmtEffect(e.Center), fmtEffect(e.Lo), fmtEffect(e.Hi), fmtP(x.P))
				switch {
				case !x.Significant || x.Better == 0:
				case x.Delta*float64(x.Better) < 0:
					hc.Class += " worse"
				default:
					hc.Class += " better"
				}
			}
			row = append(row, hc)
		}
		h.Rows = append(h.Rows, row)
	}
	if t.Geomean != nil {
		row := []htmlCell{{Text: "geomean"}}
		for j, g := range t.Geomean {
			hc := htmlCell{Class: "num"}
			if g.HasValue {
				hc.Text = t.FormatValue(g.Value)
			}
			if j > 0 && g.HasRatio {
				hc.Sub = fmtEffect(g.Ratio - 1)
			}
			row = append(row, hc)
		}
		h.Rows = append(h.Rows, row)
	}
	return h
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
				case c.Cmp.Significant && c.Cmp.Better != 0 && c.Cmp.Delta*float64(c.Cmp.Better) < 0:
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

// Package report renders a results folder as a report a person reads:
// reports/<run-id>/report.md, report.txt, a self-contained index.html and
// plots/ (SVG and PNG). It reads only the folder's files (manifest.json,
// bench.txt, each run's result.json, latency.hlog and *.pprof), so a
// report can be rendered again later, on another machine.
//
// It sits after run and beside gate in the pipeline, above compare (the
// benchstat tables), results (the folder's files), spec (the questions
// the answers are for), instr (how instructions cells were counted) and
// host (the fingerprint in the header), and imports neither gate nor run: a trend's
// plots take their own TrendSeries. It owns three third-party
// libraries: gonum.org/v1/plot (the figures), the HdrHistogram log reader
// (latency spectra and timelines) and github.com/google/pprof (profile
// tops, diffs between compared cells, and pprof's own web UI for
// "harness pprof").
//
// The figures: per benchmark, the latency percentile spectrum of its cells
// (HdrHistogram style, 1/(1-p) axis, intended-start and actual-start
// latency both drawn) and their P50/P99 per interval of the window (at least 20 per window); a bar
// chart with 95% CI whiskers per headline table; each cell's achieved
// against target rate, invalid runs marked; per rate sweep, latency
// against throughput (capacity.go: the sweeps, and their capacity within
// the workload's SLO, also stated in the Answers). Colours are the Okabe–Ito
// palette.
package report

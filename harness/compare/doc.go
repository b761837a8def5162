// Package compare turns benchmark results into benchstat statistics: per
// benchmark and configuration the median with its confidence interval, and
// between configurations the delta with a Mann-Whitney U test, "~" when it
// is not significant. It sits above results (LoadResults reads a results
// folder, checking its digest), host (LoadSides says how two runs' hosts
// differ) and spec (CheckSpec checks a spec's report projections at plan
// time). It is the harness's only user of golang.org/x/perf,
// and composes its public packages the way cmd/benchstat does:
//
//  1. LoadFiles (or LoadResults for a results folder) reads bench.txt with
//     benchfmt into a [Set], strictly: syntax errors, corrupted and
//     truncated files are errors with file:line, never a shorter series.
//  2. Options name the table, row and column projections and the filter in
//     benchproc syntax; left empty, the column is chosen from the
//     configuration keys that vary (toolchain, goexperiment, ...).
//  3. [Set.Compare] groups values into [Table]s (one per configuration and
//     unit), summarizes each cell with benchmath, compares each column with
//     the first, and adds a geomean row; [Pair] does the same for the same
//     benchmarks across two Sets (a baseline run and a candidate run),
//     ignoring the keys that identify a run.
//  4. A [Report] renders as text (like benchstat), Markdown and CSV; its
//     [Comparison]s carry the verdicts (Significant, Regression) that
//     report and gate use, and the size of each change with its
//     confidence interval ([Effect], [EffectOf]: the Hodges–Lehmann shift
//     and the interval that inverts the same Mann-Whitney U test): the one
//     effect estimate the gate and the reports share. [Judge] turns two
//     samples into a [Verdict] (effect, p, n, and lower / higher / no
//     detectable difference with the minimum detectable effect at the
//     data's noise, or unusable evidence): the report's Answers.
//
// Direction comes from the unit: a Unit line's better= wins, otherwise
// rates (…/s) are better higher and times, sizes and counts better lower.
//
// Note: the tables agree with the benchstat command on the same input —
// same medians, intervals and significance verdicts (testdata/ holds the
// golden files, and TestAgreesWithBenchstat runs benchstat itself). The
// rendering differs: column labels carry their key ("toolchain=go1.27.3"),
// and run-identifying keys (RunKeys) never split tables.
package compare

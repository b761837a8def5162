// Package gate turns a comparison of a candidate run against a baseline run
// into a CI verdict: pass, regression or invalid, with the exit code CI
// branches on, and the reports CI systems display (Markdown, JUnit XML,
// gate.json). It sits above compare (the statistics) and results (the
// manifests), and below cli, which does the effects: reading folders,
// running confirmation runs, writing files.
//
// The pipeline, all of it pure (no processes, no clocks; files only where a
// function says so):
//
//  1. A [Policy] says what counts: the significance level of the
//     Mann-Whitney U test, the false discovery rate kept over the gated
//     comparisons, the ops a run needs beyond a latency quantile for it
//     to be judged, and the minimum effect size (threshold) per metric
//     (instructions/op has its own default, 0.5%), from the spec's gate
//     section, flags and, optionally, noise
//     thresholds calibrated on the host ([Thresholds], from harness
//     calibrate). A calibrated threshold is a floor: it can only make the
//     gate quieter where the host is noisier than the configured threshold
//     assumes.
//  2. [Decide] checks that the two runs can be compared at all (the
//     candidate's cells all ran ok, same host, enough samples) and gives
//     every benchmark × configuration × metric a [Verdict] with the reason
//     for it. Rows of cells a side cannot offer, and tail figures of runs
//     too short to hold them, are not judged. The p-values of the gated
//     rows judged are adjusted together ([AdjustBH]); a regression is a
//     change with q ≤ FDR in the worse direction of the unit whose effect
//     interval (compare.Effect) lies wholly beyond the threshold. The
//     [Report] holds the rows, the problems that make the run invalid and
//     the warnings.
//  3. The report renders as Markdown (regressions first, improvements
//     apart, then other changes, what was not judged and why, and the
//     whole table in a collapsed section, bounded in size), JUnit XML (a
//     test case per benchmark × metric, a regression is a failure) and
//     JSON.
//
// [SelectBaseline] picks the newest usable baseline among stored runs,
// saying what it skipped and why (another host, another spec, an
// incomplete run). [Trend] follows each benchmark across stored runs, with
// change points flagged by the same test, FDR and threshold the gate uses,
// between segments of runs rather than single runs.
//
// Note: the default gate ignores a few metrics that measure the harness or
// a single extreme sample rather than the code (max latency, P99.9 at the
// default run lengths, generator lag, build time, GC pause P99): they are
// shown, marked "not gated", and naming one in the spec's gate.metrics
// gates it. Without this, the dozen metrics of a fixed-rate cell would
// make false alarms a near certainty on a noisy runner.
package gate

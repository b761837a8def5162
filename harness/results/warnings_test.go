package results

import (
	"slices"
	"testing"
)

func TestGroupWarnings(t *testing.T) {
	wait := func(w, window string) string {
		return "the process's threads waited " + w + " in all for a CPU during the " + window + " window: other load on the machine shaped the tails"
	}
	runs := func(warnings ...[]string) []*Run {
		var out []*Run
		for i, ws := range warnings {
			out = append(out, &Run{Index: i + 1, Status: StatusOK, Warnings: ws})
		}
		return out
	}
	for _, tc := range []struct {
		why  string
		runs []*Run
		want []string
	}{
		{"one kind in every run: once, each figure's range, a window within 10% as ~ its median",
			runs([]string{wait("750ms", "1.5s")}, []string{wait("7.5s", "1.501s")}, []string{wait("2.1s", "1.502s")}),
			[]string{"in 3 of 3 runs: " + wait("750ms–7.5s", "~1.501s")}},
		{"the same figure everywhere stays itself",
			runs([]string{"12 ops started but did not complete"}, []string{"12 ops started but did not complete"}),
			[]string{"in 2 of 2 runs: 12 ops started but did not complete"}},
		{"some runs: their indices; plain numbers ranged",
			runs([]string{"3 of 250 ops returned an error"}, nil, []string{"40 of 250 ops returned an error"}, nil),
			[]string{"in 2 of 4 runs (1, 3): 3–40 of 250 ops returned an error"}},
		{"one run: its index, the text as it is",
			runs(nil, []string{"heap profile: open heap.pprof: no such file"}),
			[]string{"run 2 of 2: heap profile: open heap.pprof: no such file"}},
		{"kinds apart, in the order they first appear; digits in words are text",
			runs([]string{"p99 of go1.26.8 above 5ms", "4 ops late"}, []string{"4 ops late", "p99 of go1.26.8 above 6ms"}, []string{"p90 of go1.26.8 above 5ms"}),
			[]string{"in 2 of 3 runs (1, 2): p99 of go1.26.8 above 5ms–6ms", "in 2 of 3 runs (1, 2): 4 ops late", "run 3 of 3: p90 of go1.26.8 above 5ms"}},
		{"durations with several units; a trailing full stop is not a fraction",
			runs([]string{"stalled for 1m30s."}, []string{"stalled for 2m."}),
			[]string{"in 2 of 2 runs: stalled for 1m30s–2m."}},
		{"a unit that is the start of a word is not a duration: the number alone varies",
			runs([]string{"5min of 16MiB"}, []string{"9min of 16MiB"}),
			[]string{"in 2 of 2 runs: 5–9min of 16MiB"}},
		{"runs not yet run are not counted",
			append(runs([]string{"x 1"}), &Run{Index: 2, Status: StatusPlanned}),
			[]string{"run 1 of 1: x 1"}},
	} {
		var got []string
		for _, g := range GroupWarnings(tc.runs) {
			got = append(got, g.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.why, got, tc.want)
		}
	}
	c := &Cell{ID: "json/decode/local", Runs: runs([]string{wait("1s", "1.5s")}, []string{wait("2s", "1.5s")})}
	if got, want := c.WarningLines(), []string{"json/decode/local: in 2 of 2 runs: " + wait("1s–2s", "1.5s")}; !slices.Equal(got, want) {
		t.Errorf("WarningLines:\n got %q\nwant %q", got, want)
	}
}

func FuzzGroupWarnings(f *testing.F) {
	f.Add("waited 1.5s in all during the 1.5s window", "waited 750ms in all during the 1.501s window")
	f.Add("1m30s.", "5min 0x1a p99 9.")
	f.Fuzz(func(t *testing.T, a, b string) {
		gs := GroupWarnings([]*Run{{Index: 1, Status: StatusOK, Warnings: []string{a}}, {Index: 2, Status: StatusOK, Warnings: []string{b}}})
		if len(gs) == 0 || len(gs) > 2 {
			t.Fatalf("%d groups of 2 warnings", len(gs))
		}
		if len(gs) == 2 && (gs[0].Text != a || gs[1].Text != b) {
			t.Fatalf("two kinds changed their text: %q %q from %q %q", gs[0].Text, gs[1].Text, a, b)
		}
		if len(gs) == 1 && a == b && gs[0].Text != a {
			t.Fatalf("the same warning twice reads %q, not %q", gs[0].Text, a)
		}
	})
}

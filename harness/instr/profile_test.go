package instr

import (
	"os"
	"strings"
	"testing"
)

func TestParseProfile(t *testing.T) {
	f, err := os.Open("testdata/small.cgout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := ParseProfile(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 381142 || len(p.Events) != 1 || p.Events[0] != "Ir" || !strings.HasPrefix(p.Cmd, "./crypto.test ") {
		t.Errorf("header: total %d events %q cmd %q", p.Total, p.Events, p.Cmd)
	}
	want := map[string]uint64{
		"crypto/internal/fips140/bigmod.(*Nat).montgomeryMul": 80135,
		"crypto/internal/fips140/bigmod.addMulVVW2048":        301000, // in two files: summed
		"runtime.main": 7, // a count line without counts is zero
	}
	if len(p.Funcs) != len(want) {
		t.Errorf("funcs %v; want %v", p.Funcs, want)
	}
	for fn, n := range want {
		if p.Funcs[fn] != n {
			t.Errorf("%s: %d; want %d", fn, p.Funcs[fn], n)
		}
	}
}

func TestParseProfileErrors(t *testing.T) {
	const head = "desc: x\ncmd: ./a\nevents: Ir\nfl=a.go\nfn=f\n"
	for _, tt := range []struct {
		name, in, want string
	}{
		{"empty", "", "no events: line"},
		{"not a profile", "hello\n", "unexpected"},
		{"cut short before the summary", head + "1 10\n2 5\n", "no summary: line"},
		{"counts do not add up", head + "1 10\nsummary: 11\n", "add up to 10, the summary says 11"},
		{"no Ir event", "events: Dr Dw\nfl=a\nfn=f\n1 2 3\nsummary: 2 3\n", "do not include Ir"},
		{"more counts than events", head + "1 10 20\nsummary: 10\n", "2 counts for 1 events"},
		{"a count that is not a number", head + "1 1x\nsummary: 1\n", `count "1x" is not a number`},
		{"a bad line number", head + "x 1\nsummary: 1\n", `line number "x"`},
		{"count before any fn=", "events: Ir\n1 2\nsummary: 2\n", "unexpected"},
		{"text after the summary", head + "1 1\nsummary: 1\nfn=g\n", "after the summary"},
		{"two events lines", head + "events: Ir\n", "second events:"},
		{"overflow", head + "1 18446744073709551615\n2 1\nsummary: 0\n", "overflow"},
		{"a summary that is not a number", head + "1 1\nsummary: lots\n", "not a number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProfile(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v; want one containing %q", err, tt.want)
			}
		})
	}
}

// FuzzParseProfile: any input either fails or yields a profile whose
// per-function counts add up to its total (the parser's one promise).
func FuzzParseProfile(f *testing.F) {
	if data, err := os.ReadFile("testdata/small.cgout"); err == nil {
		f.Add(string(data))
	}
	f.Add("events: Ir\nfl=a\nfn=f\n1 5\nsummary: 5\n")
	f.Add("events: Ir Dr\nfn=f\n1 5 6\n2\nsummary: 5 6\n")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseProfile(strings.NewReader(in))
		if err != nil {
			return
		}
		var sum uint64
		for _, n := range p.Funcs {
			sum += n
		}
		if sum != p.Total {
			t.Fatalf("functions add up to %d, total %d", sum, p.Total)
		}
		if len(p.Events) == 0 {
			t.Fatal("accepted a profile without events")
		}
	})
}

package toolchain

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestUnknown(t *testing.T) {
	tc := &Toolchain{Name: "go1.27.3", Version: "go1.27.3", Experiments: []string{"arenas", "greenteagc", "jsonv2"}}
	for _, tt := range []struct {
		in, want, why string
	}{
		{"", "", "default"},
		{"arenas", "", "known"},
		{"noarenas", "", "no prefix of a known name"},
		{"arenas,nojsonv2", "", "comma list"},
		{"bignum", "bignum", "unknown"},
		{"arenas,nobignum,x", "nobignum,x", "every unknown one, as written"},
		{"nogreenteagc,notaname", "notaname", `"no" + unknown stays unknown`},
	} {
		if got := strings.Join(tc.Unknown(tt.in), ","); got != tt.want {
			t.Errorf("Unknown(%q) = %q, want %q (%s)", tt.in, got, tt.want, tt.why)
		}
	}
	if got := (&Toolchain{}).Unknown("anything"); got != nil {
		t.Errorf("a toolchain with no experiment list rejected %v", got)
	}
	err := &UnknownExperimentError{Toolchain: "local", Version: "go1.26.8", Unknown: []string{"bignum"}, Known: []string{"arenas"}}
	if got, want := err.Error(), `toolchain local (go1.26.8) does not know GOEXPERIMENT "bignum"; it knows: arenas`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestWithEnv(t *testing.T) {
	got := withEnv([]string{"A=1", "B=2", "A=3", "C=4"}, "A=9", "D=")
	want := "B=2,C=4,A=9,D="
	if strings.Join(got, ",") != want {
		t.Errorf("withEnv = %q, want %q", got, want)
	}
	if Getenv([]string{"X=1", "X=2"}, "X") != "2" {
		t.Error("lookup should return the last value, as exec does")
	}
}

func TestResolveLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
	r := &Resolver{}
	ctx := context.Background()
	tc, err := r.Resolve(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("go", "env", "GOVERSION", "GOROOT").Output()
	f := strings.Fields(string(out))
	if tc.Version != f[0] || tc.GOROOT != f[1] {
		t.Errorf("local = %s at %s, want %s at %s", tc.Version, tc.GOROOT, f[0], f[1])
	}
	if !tc.Knows("arenas") || tc.Knows("bignum") {
		t.Errorf("experiments %v: want arenas known and bignum not", tc.Experiments)
	}
	on, err := tc.Effective(ctx, "arenas")
	if err != nil || !strings.Contains(strings.Join(on, ","), "arenas") {
		t.Errorf("Effective(arenas) = %v, %v", on, err)
	}
	var ue *UnknownExperimentError
	if _, err := tc.Effective(ctx, "bignum"); !errors.As(err, &ue) {
		t.Errorf("Effective(bignum) error = %v, want *UnknownExperimentError", err)
	}
	id1, err := tc.Identity()
	if err != nil || len(id1) != 32 {
		t.Fatalf("Identity = %q, %v", id1, err)
	}
	if again, _ := r.Resolve(ctx, "local"); again != tc {
		t.Error("second Resolve did not reuse the first result")
	}
	if _, err := r.Resolve(ctx, "/nonexistent/goroot"); err == nil || !strings.Contains(err.Error(), "no go command at /nonexistent/goroot/bin/go") {
		t.Errorf("Resolve of a missing GOROOT: %v", err)
	}
	env := strings.Join(tc.BuildEnv([]string{"PATH=/bin", "GOFLAGS=-x", "GODEBUG=a=1"}, "GOEXPERIMENT=arenas"), "\n")
	for _, want := range []string{"PATH=" + tc.GOROOT + "/bin:/bin", "GOTOOLCHAIN=local", "GOWORK=off", "GOENV=off", "GOFLAGS=", "GOEXPERIMENT=arenas"} {
		if !strings.Contains("\n"+env+"\n", "\n"+want+"\n") {
			t.Errorf("BuildEnv lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(env, "GODEBUG") || strings.Contains(env, "-x") {
		t.Errorf("BuildEnv leaked caller settings:\n%s", env)
	}
}

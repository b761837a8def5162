package instr

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"valgrind-3.19.0\n", "3.19.0", ""},
		{"valgrind-3.22.0.GIT", "3.22.0.GIT", ""},
		{"valgrind-3.7", "3.7", ""},
		{"valgrind 3.19.0", "", "unexpected version output"},
		{"", "", "unexpected version output"},
	} {
		got, err := ParseVersion(tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseVersion(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestCommand(t *testing.T) {
	v := &Valgrind{Path: "/usr/bin/valgrind", Version: "3.19.0"}
	got := strings.Join(v.Command("/r/cg.out", "/r/vg.log", "/b/w.test", "-test.bench=X", "a b"), "|")
	want := "/usr/bin/valgrind|--tool=cachegrind|--cache-sim=no|--branch-sim=no|--cachegrind-out-file=/r/cg.out|--log-file=/r/vg.log|/b/w.test|-test.bench=X|a b"
	if got != want {
		t.Errorf("Command:\n got %s\nwant %s", got, want)
	}
	if d := v.ToolDescription(); d != "cachegrind (valgrind 3.19.0), --cache-sim=no --branch-sim=no" {
		t.Errorf("ToolDescription %q", d)
	}
}

func TestEnv(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []string
		mask []string
		want string
	}{
		{"settings and GOMAXPROCS=1 are added", []string{"PATH=/bin"}, nil,
			"PATH=/bin GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,gcstoptheworld=1,madvdontneed=0"},
		{"the cell's GOMAXPROCS gives way", []string{"GOMAXPROCS=4", "PATH=/bin"}, nil,
			"PATH=/bin GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,gcstoptheworld=1,madvdontneed=0"},
		{"masks, then the cell's GODEBUG last (later settings win)", []string{"GODEBUG=cpu.adx=off", "GOGC=50"}, []string{"rdtscp"},
			"GOGC=50 GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,gcstoptheworld=1,madvdontneed=0,cpu.rdtscp=off,cpu.adx=off"},
	} {
		if got := strings.Join(Env(tt.env, tt.mask), " "); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestFindWithoutValgrind(t *testing.T) {
	_, err := Find(context.Background(), []string{"PATH=" + t.TempDir()})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "scripts/install-deps") {
		t.Errorf("Find on an empty PATH: %v; want ErrNotInstalled naming scripts/install-deps", err)
	}
}

// valgrind returns the host's valgrind, or skips the test; under CI=true a
// missing valgrind fails it (scripts/install-deps installs it there).
func valgrind(t *testing.T) *Valgrind {
	t.Helper()
	v, err := Find(context.Background(), os.Environ())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the instructions tier cannot be tested: %v", err)
		}
		t.Skip(err)
	}
	return v
}

func TestFind(t *testing.T) {
	v := valgrind(t)
	if !strings.HasPrefix(v.Path, "/") || !strings.HasPrefix(v.Version, "3.") {
		t.Errorf("Find: %+v", v)
	}
}

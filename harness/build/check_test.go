package build

import (
	"errors"
	"runtime/debug"
	"strings"
	"testing"
)

func TestCheckBuildInfo(t *testing.T) {
	defaults := []string{"greenteagc", "jsonv2", "regabiargs", "regabiwrappers"}
	bi := func(version, goexp string) *debug.BuildInfo {
		b := &debug.BuildInfo{GoVersion: version}
		if goexp != "" {
			b.Settings = []debug.BuildSetting{{Key: "GOEXPERIMENT", Value: goexp}}
		}
		return b
	}
	for _, tt := range []struct {
		why       string
		info      *debug.BuildInfo
		goexp     string
		effective []string
		want      string // "" for no mismatch
	}{
		{"defaults", bi("go1.27.3", ""), "", defaults, ""},
		{"arenas, Go 1.26+ separator", bi("go1.27.3-X:arenas", "arenas"), "arenas",
			[]string{"arenas", "greenteagc", "jsonv2", "regabiargs", "regabiwrappers"}, ""},
		{"arenas, older separator", bi("go1.27.3 X:arenas", "arenas"), "arenas",
			[]string{"arenas", "greenteagc", "jsonv2", "regabiargs", "regabiwrappers"}, ""},
		{"a default turned off", bi("go1.27.3-X:arenas,nojsonv2", "nojsonv2,arenas"), "nojsonv2,arenas",
			[]string{"arenas", "greenteagc", "regabiargs", "regabiwrappers"}, ""},
		{"asking for a default changes nothing", bi("go1.27.3", "jsonv2"), "jsonv2", defaults, ""},
		{"an alias the toolchain forces on", bi("go1.27.3", "noregabi"), "noregabi", defaults, ""},
		{"wrong toolchain", bi("go1.26.8", ""), "", defaults, "built by go1.26.8, the toolchain is go1.27.3"},
		{"wrong toolchain with experiments", bi("go1.26.8-X:arenas", "arenas"), "arenas", defaults, "built by go1.26.8"},
		{"GOEXPERIMENT did not reach the go command", bi("go1.27.3", ""), "arenas", defaults, `records GOEXPERIMENT="", the build asked for "arenas"`},
		{"experiment missing from the binary", bi("go1.27.3", "arenas"), "arenas",
			[]string{"arenas", "greenteagc", "jsonv2", "regabiargs", "regabiwrappers"}, "missing [arenas], unexpected []"},
		{"experiment the toolchain did not promise", bi("go1.27.3-X:arenas", "arenas"), "arenas", defaults, "missing [], unexpected [arenas]"},
	} {
		err := checkBuildInfo(tt.info, expectation{Version: "go1.27.3", GOEXPERIMENT: tt.goexp, Effective: tt.effective, Defaults: defaults})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: unexpected %v", tt.why, err)
		case tt.want != "" && (!errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want ErrMismatch with %q", tt.why, err, tt.want)
		}
	}
	// CGO_ENABLED, when the cell set it, must be what the binary records.
	cgo := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.27.3", Settings: []debug.BuildSetting{{Key: "CGO_ENABLED", Value: v}}}
	}
	for _, tt := range []struct {
		why        string
		info       *debug.BuildInfo
		cgoEnabled string
		want       string
	}{
		{"cgo off as asked", cgo("0"), "0", ""},
		{"cgo on as asked", cgo("1"), "1", ""},
		{"cgo not set by the cell", cgo("1"), "", ""},
		{"CGO_ENABLED did not reach the go command", cgo("1"), "0", `records CGO_ENABLED="1", the build asked for "0"`},
	} {
		err := checkBuildInfo(tt.info, expectation{Version: "go1.27.3", Effective: defaults, Defaults: defaults, CGOEnabled: tt.cgoEnabled})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: unexpected %v", tt.why, err)
		case tt.want != "" && (!errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want ErrMismatch with %q", tt.why, err, tt.want)
		}
	}
}

func TestKeyEnv(t *testing.T) {
	got := keyEnv([]string{
		"PATH=/bin", "HOME=/h", "GOCACHE=/c", "GOMODCACHE=/m", "GOPROXY=off", "LC_ALL=C", "TMPDIR=/t",
		"GOEXPERIMENT=", "GOAMD64=v1", "GOAMD64=v3", "CGO_ENABLED=0", "CC=clang", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local",
		"CGO_CFLAGS=-O3",
	})
	want := "CC=clang CGO_CFLAGS=-O3 CGO_ENABLED=0 GOAMD64=v3 GOFLAGS=-mod=mod GOTOOLCHAIN=local"
	if strings.Join(got, " ") != want {
		t.Errorf("keyEnv = %q\nwant     %q\n(caches, paths and the session are out; empty is unset; the last value wins; unknown variables are in)", got, want)
	}
}

func TestBinaryName(t *testing.T) {
	for _, tt := range []struct {
		pkg, dir string
		test     bool
		want     string
	}{
		{".", "/src/alloc", false, "alloc"},
		{"./cmd/load", "/src/m", false, "load"},
		{"example.com/m/httpload", "/src/user", false, "httpload"},
		{"./bench", "/src/m", true, "bench.test"},
	} {
		r := &Request{Package: tt.pkg, Dir: tt.dir, Test: tt.test}
		if got := r.binaryName(); got != tt.want {
			t.Errorf("binaryName(%s in %s) = %s, want %s", tt.pkg, tt.dir, got, tt.want)
		}
	}
}

package build

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// A Request is one binary to build: the toolchain whose go command builds it,
// the package, and the complete environment and flags of that command. Every
// field enters the cache key; two equal Requests share one binary.
type Request struct {
	// Label names the build in events and errors, e.g. "alloc@go1.27.3+arenas".
	Label string
	// TC is the toolchain whose go command (TC.Go) builds the binary.
	TC *toolchain.Toolchain
	// Dir is the module root: the go command's working folder.
	Dir string
	// Package is the package as the go command gets it: "." or "./sub/dir"
	// relative to Dir, or an import path resolved in Dir's module.
	Package string
	// Test builds a test binary (go test -c) instead of a program (go build).
	Test bool
	// Env is the complete environment of the go command; nothing else leaks in.
	Env []string
	// Flags are the go command's build flags, one argv element each, without
	// -o. A -pgo=<file> flag enters the key by the file's content, not its path.
	Flags []string
}

// ErrNeedsProfile is returned by FromPlan for a build whose PGO is "auto": it
// needs a CPU profile from a profiling pass first (see ForProfiling and
// WithProfile).
var ErrNeedsProfile = errors.New("pgo auto needs a CPU profile from a profiling pass")

// FromPlan returns the request for one build configuration of the plan.
func FromPlan(pb *plan.Build) (*Request, error) {
	if pb.PGO == "auto" {
		return nil, fmt.Errorf("building %s: %w (use ForProfiling, then WithProfile)", pb.Key, ErrNeedsProfile)
	}
	return fromPlan(pb, pb.Key, pb.Flags)
}

// ForProfiling returns the request for the profiling pass of a build whose
// PGO is "auto": the same configuration with -pgo=off. Its key equals that of
// a pgo=off cell of the same configuration, so the two share one binary.
func ForProfiling(pb *plan.Build) (*Request, error) {
	return fromPlan(pb, strings.TrimSuffix(pb.Key, "+pgo=auto")+"+pgo=off", setPGO(pb.Flags, "off"))
}

// WithProfile returns the request for a plan build optimized with the CPU
// profile file (-pgo=<file>, replacing any -pgo flag the plan set). The
// profile's content digest enters the cache key.
func WithProfile(pb *plan.Build, profile string) (*Request, error) {
	abs, err := filepath.Abs(profile)
	if err != nil {
		return nil, fmt.Errorf("building %s: profile %s: %w", pb.Key, profile, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("building %s: %w", pb.Key, err)
	}
	return fromPlan(pb, pb.Key, setPGO(pb.Flags, abs))
}

func fromPlan(pb *plan.Build, label string, flags []string) (*Request, error) {
	if pb.TC == nil {
		return nil, fmt.Errorf("building %s: no toolchain", label)
	}
	root, pkg, err := localPackage(pb.Package)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", label, err)
	}
	var test bool
	switch pb.Kind {
	case spec.KindFixedRate, spec.KindHTTP:
	case spec.KindGoTest:
		test = true
	default:
		return nil, fmt.Errorf("building %s: unknown workload kind %q", label, pb.Kind)
	}
	return &Request{
		Label:   label,
		TC:      pb.TC,
		Dir:     root,
		Package: pkg,
		Test:    test,
		Env:     append([]string(nil), pb.Env...),
		Flags:   append([]string(nil), flags...),
	}, nil
}

// Package returns the request for a binary that is not a plan cell, such as
// the HTTP load client: package pkg — a folder (absolute, or relative to
// moduleDir), or an import path resolved in the module that contains
// moduleDir — built by tc with default settings: the toolchain's hermetic
// environment (default GOEXPERIMENT, GOAMD64 and so on) and -buildvcs=false.
//
// Resolving an import path in the caller's module makes the same call work in
// the workloads module itself and in a user's module that requires it.
func Package(tc *toolchain.Toolchain, moduleDir, pkg string) (*Request, error) {
	if tc == nil {
		return nil, fmt.Errorf("building %s: no toolchain", pkg)
	}
	label := path.Base(filepath.ToSlash(pkg)) + "@" + tc.Name
	var root, arg string
	if filepath.IsAbs(pkg) || pkg == "." || pkg == ".." || strings.HasPrefix(pkg, "./") || strings.HasPrefix(pkg, "../") {
		dir := pkg
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(moduleDir, dir)
		}
		var err error
		if root, arg, err = localPackage(dir); err != nil {
			return nil, fmt.Errorf("building %s: %w", label, err)
		}
		label = filepath.Base(dir) + "@" + tc.Name
	} else {
		abs, err := filepath.Abs(moduleDir)
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", label, err)
		}
		if root, err = moduleRoot(abs); err != nil {
			return nil, fmt.Errorf("building %s: %w", label, err)
		}
		arg = pkg
	}
	return &Request{
		Label:   label,
		TC:      tc,
		Dir:     root,
		Package: arg,
		Env:     tc.BuildEnv(nil),
		Flags:   []string{"-buildvcs=false"},
	}, nil
}

// localPackage returns the module root of a package folder and the package
// relative to it as the go command takes it ("." or "./sub/dir").
func localPackage(dir string) (root, pkg string, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	if fi, err := os.Stat(dir); err != nil {
		return "", "", fmt.Errorf("package folder: %w", err)
	} else if !fi.IsDir() {
		return "", "", fmt.Errorf("package folder %s is not a folder", dir)
	}
	root, err = moduleRoot(dir)
	if err != nil {
		return "", "", err
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return "", "", err
	}
	if rel == "." {
		return root, ".", nil
	}
	return root, "./" + filepath.ToSlash(rel), nil
}

// moduleRoot returns the nearest folder at or above dir that holds a go.mod.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod at or above %s", dir)
		}
		d = parent
	}
}

// setPGO returns flags with every -pgo flag replaced by one -pgo=value at the
// end, where plan puts it.
func setPGO(flags []string, value string) []string {
	out := make([]string, 0, len(flags)+1)
	for _, f := range flags {
		if !isPGOFlag(f) {
			out = append(out, f)
		}
	}
	return append(out, "-pgo="+value)
}

func isPGOFlag(f string) bool {
	return strings.HasPrefix(f, "-pgo=") || strings.HasPrefix(f, "--pgo=")
}

// binaryName is the file name of the request's binary in its cache entry.
func (r *Request) binaryName() string {
	name := path.Base(r.Package)
	if r.Package == "." || name == "." || name == "/" {
		name = filepath.Base(r.Dir)
	}
	if r.Test {
		name += ".test"
	}
	if r.TC != nil && r.TC.GOOS == "windows" {
		name += ".exe"
	}
	return name
}

// args is the go command line that writes the binary to out.
func (r *Request) args(out string) []string {
	var args []string
	if r.Test {
		args = []string{"test", "-c", "-o", out}
	} else {
		args = []string{"build", "-o", out}
	}
	args = append(args, r.Flags...)
	return append(args, r.Package)
}

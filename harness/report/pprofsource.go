package report

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/pprof/driver"
	"github.com/google/pprof/profile"

	"github.com/perfharness/harness/harness/results"
)

// Note: pprof's source view opens whatever file a profile's functions name
// (absolute paths as they are, relative ones searched up from the source
// path), and a results folder is untrusted input: a profile naming
// /etc/shadow would have it served. So the profiles handed to pprof are
// rewritten first. A file name stays only when it resolves, on this host,
// to a source file inside a source root of the cell's build; every other
// name is moved under a private empty folder where nothing can be opened.
// The roots come from the manifest (module root, GOROOT, GOMODCACHE) but
// are used only when this host confirms each is what it claims to be, so a
// manifest naming "/" as its module root gains nothing.

// sourceExts are the files a Go profile's functions can name.
var sourceExts = map[string]bool{
	".go": true, ".s": true, ".S": true, ".c": true, ".h": true,
	".cc": true, ".cpp": true, ".cxx": true, ".hh": true, ".hpp": true, ".m": true,
}

// maxSourceFile bounds a source file the UI shows.
const maxSourceFile = 8 << 20

// A sourceFilter decides which source files named by a profile pprof may
// open: real paths of source files inside roots, nothing else.
type sourceFilter struct {
	roots  []string // real paths of confirmed source roots
	hidden string   // a private empty folder; hidden names go beneath it
	memo   map[string]string
	shown  map[string]bool
	denied map[string]bool
}

func newSourceFilter(roots []string, hidden string) *sourceFilter {
	return &sourceFilter{roots: roots, hidden: hidden, memo: map[string]string{}, shown: map[string]bool{}, denied: map[string]bool{}}
}

// apply rewrites the file names of p's functions.
func (s *sourceFilter) apply(p *profile.Profile) {
	for _, f := range p.Function {
		f.Filename = s.name(f.Filename)
	}
}

// name returns what pprof gets for a file name: its real path when it may
// be shown, else a path beneath the hidden folder that does not exist.
func (s *sourceFilter) name(orig string) string {
	if orig == "" {
		return ""
	}
	if n, ok := s.memo[orig]; ok {
		return n
	}
	n, ok := s.resolve(orig)
	if ok {
		s.shown[n] = true
	} else {
		s.denied[orig] = true
		n = filepath.Join(s.hidden, strings.TrimPrefix(filepath.Clean("/"+filepath.ToSlash(orig)), "/"))
	}
	s.memo[orig] = n
	return n
}

func (s *sourceFilter) resolve(name string) (string, bool) {
	if strings.ContainsRune(name, 0) || !sourceExts[filepath.Ext(name)] {
		return "", false
	}
	var candidates []string
	switch {
	case filepath.IsAbs(name):
		candidates = []string{filepath.Clean(name)}
	case filepath.IsLocal(name):
		for _, r := range s.roots {
			candidates = append(candidates, filepath.Join(r, name))
		}
	}
	for _, c := range candidates {
		real, err := filepath.EvalSymlinks(c)
		if err != nil || !within(s.roots, real) {
			continue
		}
		fi, err := os.Lstat(real)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxSourceFile {
			continue
		}
		return real, true
	}
	return "", false
}

// within reports whether the real path p is inside one of the roots.
func within(roots []string, p string) bool {
	for _, r := range roots {
		rel, err := filepath.Rel(r, p)
		if err == nil && rel != "." && filepath.IsLocal(rel) {
			return true
		}
	}
	return false
}

// sourceRoots returns the confirmed source roots of the cells' builds, as
// real paths: each build's module root (a folder with a go.mod), its
// GOROOT's src folder (a folder whose go.mod declares module std) and its
// module cache (a folder with cache/download). A root the manifest names
// but this host does not confirm is left out.
func sourceRoots(m *results.Manifest, cells ...*results.Cell) []string {
	seen := map[string]bool{}
	var roots []string
	add := func(dir string, ok func(real string) bool) {
		if dir == "" || !filepath.IsAbs(dir) {
			return
		}
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || real == "/" || !ok(real) || seen[real] {
			return
		}
		fi, err := os.Stat(real)
		if err != nil || !fi.IsDir() {
			return
		}
		seen[real] = true
		roots = append(roots, real)
	}
	for _, c := range cells {
		for _, b := range m.Builds {
			if b == nil || b.Key != c.Build {
				continue
			}
			add(b.ModuleRoot, func(real string) bool { return isRegular(filepath.Join(real, "go.mod")) })
			if goroot := envValue(b.Env, "GOROOT"); goroot != "" {
				add(filepath.Join(goroot, "src"), func(real string) bool {
					return filepath.Base(real) == "src" && declaresModule(filepath.Join(real, "go.mod"), "std")
				})
			}
			add(envValue(b.Env, "GOMODCACHE"), func(real string) bool {
				fi, err := os.Stat(filepath.Join(real, "cache", "download"))
				return err == nil && fi.IsDir()
			})
		}
	}
	return roots
}

func isRegular(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular()
}

// declaresModule reports whether the go.mod file at path declares module mod.
func declaresModule(path, mod string) bool {
	if !isRegular(path) {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head, _ := io.ReadAll(io.LimitReader(f, 4<<10))
	for _, l := range bytes.Split(head, []byte("\n")) {
		if fs := strings.Fields(string(l)); len(fs) == 2 && fs[0] == "module" {
			return fs[1] == mod
		}
	}
	return false
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// uiPaths are the pprof UI pages served: views of the profile and its
// download. Saving or deleting pprof settings (files in the user's home)
// is not offered, nor disassembly (it needs the binaries, see noObj).
var uiPaths = map[string]bool{
	"/": true, "/graph": true, "/top": true, "/source": true, "/peek": true,
	"/flamegraph": true, "/flamegraph2": true, "/flamegraphold": true, "/download": true,
}

// noObj refuses pprof's object-file access: profile mappings name binaries
// on the host that recorded them, and the UI must not open (or run a
// disassembler on) files a results folder names.
type noObj struct{}

func (noObj) Open(file string, start, limit, offset uint64, relocationSymbol string) (driver.ObjFile, error) {
	return nil, errNoObj
}

func (noObj) Disasm(file string, start, end uint64, intelSyntax bool) ([]driver.Inst, error) {
	return nil, errNoObj
}

var errNoObj = errors.New("binaries named by a results folder are not opened")

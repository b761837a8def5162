package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/perfharness/harness/harness/toolchain"
)

// recipeVersion leads every recipe: changing what a key means changes it, so
// entries made under an older meaning are never reused.
const recipeVersion = "harness build cache v1"

// ignoredEnv are environment variables that cannot change the binary: where
// the go command caches and fetches things, and the user's session.
var ignoredEnv = map[string]bool{
	"PATH": true, "HOME": true, "TMPDIR": true, "USER": true, "LOGNAME": true, "LANG": true,
	"TERM": true, "PWD": true, "SHELL": true,
	"GOCACHE": true, "GOMODCACHE": true, "GOPATH": true, "GOTMPDIR": true, "GOENV": true,
	"GOPROXY": true, "GOSUMDB": true, "GONOSUMDB": true, "GOPRIVATE": true, "GONOPROXY": true,
	"GOINSECURE": true, "GOAUTH": true, "GOCACHEPROG": true,
}

// keyEnv returns the environment settings that enter the key, sorted: every
// variable except those in ignoredEnv and the locale, the last value of each
// (as exec uses), and none that is empty (the go command reads an empty
// setting as an unset one).
//
// Note: this is a deny list on purpose. A variable we did not think of (say
// CGO_CFLAGS or PKG_CONFIG) costs at worst a needless rebuild; an allow list
// would instead reuse a wrong binary.
func keyEnv(env []string) []string {
	last := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		last[k] = v
	}
	var out []string
	for k, v := range last {
		if v == "" || ignoredEnv[k] || strings.HasPrefix(k, "LC_") {
			continue
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// configRecipe returns the key recipe without the sources: everything that
// selects a build configuration. Its hash names the configuration's source
// manifest.
func (b *Builder) configRecipe(req *Request) ([]string, error) {
	id, err := b.identity(req.TC)
	if err != nil {
		return nil, err
	}
	command := "build"
	if req.Test {
		command = "test -c"
	}
	lines := []string{
		recipeVersion,
		"toolchain " + req.TC.Version + " " + id,
		"command " + command,
		"dir " + req.Dir,
		"package " + req.Package,
	}
	for _, kv := range keyEnv(req.Env) {
		lines = append(lines, "env "+kv)
	}
	for _, f := range req.Flags {
		if isPGOFlag(f) {
			_, file, _ := strings.Cut(f, "=")
			if file != "off" && file != "auto" && file != "" {
				// The profile's content, not where it lies, goes into the binary.
				if !filepath.IsAbs(file) {
					file = filepath.Join(req.Dir, file)
				}
				d, err := fileDigest(file)
				if err != nil || d == absent {
					return nil, fmt.Errorf("pgo profile %s: %w", file, orNotExist(err))
				}
				f = "-pgo=sha256:" + d
			}
		}
		lines = append(lines, "flag "+f)
	}
	return lines, nil
}

func orNotExist(err error) error {
	if err == nil {
		return fs.ErrNotExist
	}
	return err
}

func hashLines(lines []string) string {
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A manifest records how a build configuration's source digest was computed
// so the next run can confirm it without running go list: the content digest
// of every file that was hashed or that could change which files are
// selected, and a digest of the listing of every folder whose new or removed
// entries could.
type manifest struct {
	Digest string            `json:"digest"`
	Files  map[string]string `json:"files"` // file → content digest, or "absent"
	Dirs   map[string]string `json:"dirs"`  // folder → listing digest
}

// sourceDigest returns the digest of the sources that go into the request's
// binary.
//
// The authority is go list: `go list -e -deps [-test] -json <flags> <pkg>`
// with the request's environment and flags, so build tags, GOOS/GOARCH and
// GOEXPERIMENT select files exactly as the build will. The digest covers the
// content of every file of every package that is not in the standard library
// (the toolchain identity covers that) and does not come from the read-only
// module cache (main modules, local replacements, vendored copies): GoFiles,
// CgoFiles, C/C++/H/S/F/M/SWIG and syso files, embedded files and, for test
// binaries, the test files; the go.mod, go.sum and vendor/modules.txt of those
// modules; default.pgo of the main package when -pgo is auto. Module cache
// dependencies enter as path@version, which go.mod and go.sum pin.
//
// Note: go list costs about as much as relinking a small binary that is
// already in GOCACHE (70–150 ms against 100–500 ms), far from the "cache hit
// costs under 5% of a build" we want. So go list runs only when the quick
// check fails. The quick check re-reads what the last go list depended on,
// recorded in the configuration's manifest: the content of every hashed file
// and of the files go list ignored (an edited build constraint could select
// them), and the listing of every package folder, module root and embedded
// folder tree (a new file could be selected or embedded, a new go.mod or
// vendor folder could change the module). If all of them are unchanged, go
// list would select the same files with the same imports — imports and
// constraints live in the files we hash, everything else in the configuration
// recipe — so its digest is still right. Any difference, or a go list that
// reported errors (a missing package might appear anywhere), falls back to go
// list; the fallback can only cost time, never reuse a wrong binary.
func (b *Builder) sourceDigest(ctx context.Context, req *Request, configKey string) (string, error) {
	file := filepath.Join(b.root(), "sources", configKey+".json")
	if data, err := os.ReadFile(file); err == nil {
		var m manifest
		if json.Unmarshal(data, &m) == nil && m.Digest != "" && m.valid() {
			return m.Digest, nil
		}
	}
	m, complete, err := b.listSources(ctx, req)
	if err != nil {
		return "", err
	}
	if complete {
		// Losing the manifest only costs a go list next time.
		_ = writeJSONAtomic(file, m)
	}
	return m.Digest, nil
}

// valid reports whether everything the manifest recorded is unchanged.
func (m *manifest) valid() bool {
	for dir, want := range m.Dirs {
		if got, err := listingDigest(dir); err != nil || got != want {
			return false
		}
	}
	for file, want := range m.Files {
		if got, err := fileDigest(file); err != nil || got != want {
			return false
		}
	}
	return true
}

// listPackage is the part of go list -json output the digest uses.
type listPackage struct {
	Dir        string
	ImportPath string
	Standard   bool
	ForTest    string
	Module     *listModule

	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles []string
	SwigFiles, SwigCXXFiles, SysoFiles, EmbedFiles                      []string
	TestGoFiles, XTestGoFiles, TestEmbedFiles, XTestEmbedFiles          []string
	IgnoredGoFiles, IgnoredOtherFiles                                   []string
	EmbedPatterns, TestEmbedPatterns, XTestEmbedPatterns                []string

	Error      *struct{ Err string }
	DepsErrors []*struct{ Err string }
}

type listModule struct {
	Path, Version, Dir, GoMod string
	Main                      bool
	Replace                   *listModule
}

const listFields = "Dir,ImportPath,Standard,ForTest,Module," +
	"GoFiles,CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,EmbedFiles," +
	"TestGoFiles,XTestGoFiles,TestEmbedFiles,XTestEmbedFiles,IgnoredGoFiles,IgnoredOtherFiles," +
	"EmbedPatterns,TestEmbedPatterns,XTestEmbedPatterns,Error,DepsErrors"

// listSources runs go list and computes the source digest and its manifest.
// complete is false when go list reported package errors: the manifest then
// may not cover what a fix would change, so it is not kept.
func (b *Builder) listSources(ctx context.Context, req *Request) (m *manifest, complete bool, err error) {
	args := []string{"list", "-e", "-deps"}
	if req.Test {
		args = append(args, "-test")
	}
	args = append(args, "-json="+listFields)
	args = append(args, req.Flags...)
	args = append(args, req.Package)

	if err := b.acquire(ctx); err != nil {
		return nil, false, err
	}
	var stdout, stderr bytes.Buffer
	cmd := command(ctx, req.TC.Go, args, req.Dir, req.Env)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	b.release()
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, fmt.Errorf("listing sources: %w: %s", err, tail(stderr.Bytes(), tailLines))
	}
	var pkgs []*listPackage
	dec := json.NewDecoder(&stdout)
	for {
		p := new(listPackage)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			return nil, false, fmt.Errorf("listing sources: reading go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return digestPackages(req, pkgs, toolchain.Getenv(req.Env, "GOMODCACHE"))
}

// digestPackages computes the source digest of go list's packages.
func digestPackages(req *Request, pkgs []*listPackage, gomodcache string) (m *manifest, complete bool, err error) {
	m = &manifest{Files: map[string]string{}, Dirs: map[string]string{}}
	var lines []string
	var firstErr error
	file := func(path string, inDigest bool) {
		d, ok := m.Files[path]
		if !ok {
			var err error
			if d, err = fileDigest(path); err != nil && firstErr == nil {
				firstErr = err
			}
			m.Files[path] = d
		}
		if inDigest {
			lines = append(lines, "file "+path+" "+d)
		}
	}
	dir := func(path string) {
		if _, ok := m.Dirs[path]; ok {
			return
		}
		d, err := listingDigest(path)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		m.Dirs[path] = d
	}
	complete = true
	modules := map[string]bool{}
	for _, p := range pkgs {
		if p.Error != nil || len(p.DepsErrors) > 0 {
			complete = false
		}
		if p.Standard || p.Dir == "" {
			continue
		}
		if mod := p.Module; mod != nil && fromModuleCache(p, gomodcache) {
			line := "module " + mod.Path + "@" + mod.Version
			if r := mod.Replace; r != nil {
				line += " => " + r.Path + "@" + r.Version
			}
			lines = append(lines, line)
			continue
		}
		lists := [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.FFiles,
			p.SFiles, p.SwigFiles, p.SwigCXXFiles, p.SysoFiles, p.EmbedFiles}
		embeds := len(p.EmbedPatterns) > 0
		if req.Test {
			lists = append(lists, p.TestGoFiles, p.XTestGoFiles, p.TestEmbedFiles, p.XTestEmbedFiles)
			embeds = embeds || len(p.TestEmbedPatterns) > 0 || len(p.XTestEmbedPatterns) > 0
		}
		for _, list := range lists {
			for _, f := range list {
				// Absolute names are generated files (the test main in
				// GOCACHE); their content follows from the rest.
				if !filepath.IsAbs(f) {
					file(filepath.Join(p.Dir, f), true)
				}
			}
		}
		for _, list := range [][]string{p.IgnoredGoFiles, p.IgnoredOtherFiles} {
			for _, f := range list {
				if !filepath.IsAbs(f) {
					file(filepath.Join(p.Dir, f), false)
				}
			}
		}
		dir(p.Dir)
		if embeds {
			walkDirs(p.Dir, dir)
		}
		if mod := p.Module; mod != nil && mod.Dir != "" && !modules[mod.Dir] {
			modules[mod.Dir] = true
			if mod.GoMod != "" {
				file(mod.GoMod, true)
			}
			file(filepath.Join(mod.Dir, "go.sum"), true)
			file(filepath.Join(mod.Dir, "vendor", "modules.txt"), true)
			dir(mod.Dir)
		}
	}
	if root := rootDir(req, pkgs); root != "" && pgoMode(req.Flags) == "auto" {
		file(filepath.Join(root, "default.pgo"), true)
	}
	if firstErr != nil {
		return nil, false, fmt.Errorf("hashing sources: %w", firstErr)
	}
	sort.Strings(lines)
	m.Digest = hashLines(slices.Compact(lines))
	return m, complete, nil
}

// fromModuleCache reports whether a package comes from the read-only module
// cache, where path@version names its content. A vendored or locally
// replaced copy does not, even when it carries a version.
func fromModuleCache(p *listPackage, gomodcache string) bool {
	mod := p.Module
	if r := mod.Replace; r != nil {
		mod = r
	}
	if mod.Version == "" || mod.Main {
		return false
	}
	return gomodcache == "" || within(p.Dir, gomodcache)
}

// rootDir is the folder of the package being built, where -pgo=auto looks
// for default.pgo.
func rootDir(req *Request, pkgs []*listPackage) string {
	if req.Package == "." || strings.HasPrefix(req.Package, "./") || strings.HasPrefix(req.Package, "../") {
		return filepath.Join(req.Dir, filepath.FromSlash(req.Package))
	}
	for _, p := range pkgs {
		if p.ImportPath == req.Package && p.ForTest == "" {
			return p.Dir
		}
	}
	return ""
}

// pgoMode is the value of the last -pgo flag: "auto" (the default, which
// uses the main package's default.pgo), "off", or a profile file.
func pgoMode(flags []string) string {
	mode := "auto"
	for _, f := range flags {
		if isPGOFlag(f) {
			_, mode, _ = strings.Cut(f, "=")
		}
	}
	return mode
}

// walkDirs calls dir for every folder under root that belongs to root's
// module: embed patterns can reach any of them.
func walkDirs(root string, dir func(string)) {
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if path != root {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		dir(path)
		return nil
	})
}

func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// absent is the digest of a file that does not exist: its appearance is a
// change too.
const absent = "absent"

// fileDigest returns the hex sha256 of a file's content, or absent.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return absent, nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// listingDigest returns a digest of a folder's entry names and kinds, or
// absent.
func listingDigest(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return absent, nil
	}
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range entries { // sorted by name
		io.WriteString(h, e.Name())
		if e.IsDir() {
			io.WriteString(h, "/")
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

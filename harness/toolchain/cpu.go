package toolchain

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A CPUOption is a name GODEBUG=cpu.NAME=off|on accepts in programs built by
// a toolchain, as its runtime's internal/cpu lists it.
type CPUOption struct {
	Name string
	// BelowGOAMD64 is 0 for an option of every GOAMD64 level, or N when the
	// option exists only below level vN: at vN the compiler assumes the
	// feature, and the runtime no longer lets GODEBUG turn it off.
	BelowGOAMD64 int
}

// CPUOptions returns the GODEBUG cpu.X option names of the toolchain's
// runtime for its GOOS/GOARCH, read from its own source (internal/cpu), once
// per toolchain. The runtime prints "unknown cpu feature" for any other name
// and measures the cell with the feature on, so the plan refuses such names
// with this list for a did-you-mean.
//
// Note: the list is read, not asked for: internal/cpu cannot be imported
// from outside the standard library, and no go command reports it. Its
// option tables are plain composite literals (option{Name: "adx", ...}),
// with the GOAMD64 levels as "if level < N" around the options a level
// makes required. A source without that shape gives an error, and the plan
// then says it could not check the names rather than guess.
func (t *Toolchain) CPUOptions() ([]CPUOption, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cpuOpts == nil && t.cpuErr == nil {
		t.cpuOpts, t.cpuErr = readCPUOptions(t.GOROOT, t.GOOS, t.GOARCH)
	}
	return t.cpuOpts, t.cpuErr
}

// readCPUOptions reads the option names internal/cpu declares in the files
// that build for goos/goarch.
func readCPUOptions(goroot, goos, goarch string) ([]CPUOption, error) {
	dir := filepath.Join(goroot, "src", "internal", "cpu")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the runtime's CPU options: %w", err)
	}
	ctx := build.Default
	ctx.GOROOT, ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled, ctx.Compiler = goroot, goos, goarch, false, "gc"
	ctx.BuildTags, ctx.ToolTags = nil, nil
	byName := map[string]CPUOption{}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := ctx.MatchFile(dir, name); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("reading the runtime's CPU options: %w", err)
		}
		collectOptions(f, 0, byName)
	}
	if len(byName) == 0 {
		return nil, fmt.Errorf("no GODEBUG cpu options found in %s for %s/%s", dir, goos, goarch)
	}
	out := make([]CPUOption, 0, len(byName))
	for _, o := range byName {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// collectOptions finds option literals under n: elements of []option{...}
// and option{...} values. below is the GOAMD64 bound of the enclosing
// "if level < N" (0: none); an option listed twice keeps its loosest bound.
func collectOptions(n ast.Node, below int, out map[string]CPUOption) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt:
			if lvl, ok := levelBound(n.Cond); ok {
				collectOptions(n.Body, lvl, out)
				if n.Else != nil {
					collectOptions(n.Else, below, out)
				}
				return false
			}
		case *ast.CompositeLit:
			if at, ok := n.Type.(*ast.ArrayType); ok && isIdent(at.Elt, "option") {
				for _, e := range n.Elts {
					if cl, ok := e.(*ast.CompositeLit); ok {
						addOption(cl, below, out)
					}
				}
				return false
			}
			if isIdent(n.Type, "option") {
				addOption(n, below, out)
				return false
			}
		}
		return true
	})
}

func addOption(cl *ast.CompositeLit, below int, out map[string]CPUOption) {
	for _, e := range cl.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok || !isIdent(kv.Key, "Name") {
			continue
		}
		lit, ok := kv.Value.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			continue
		}
		name, err := strconv.Unquote(lit.Value)
		if err != nil || name == "" {
			continue
		}
		if prev, ok := out[name]; ok && (prev.BelowGOAMD64 == 0 || below != 0 && prev.BelowGOAMD64 >= below) {
			continue
		}
		out[name] = CPUOption{Name: name, BelowGOAMD64: below}
	}
}

// levelBound recognizes "level < N".
func levelBound(cond ast.Expr) (int, bool) {
	be, ok := cond.(*ast.BinaryExpr)
	if !ok || be.Op != token.LSS || !isIdent(be.X, "level") {
		return 0, false
	}
	lit, ok := be.Y.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return 0, false
	}
	n, err := strconv.Atoi(lit.Value)
	return n, err == nil && n > 0
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// CPUOptionNames returns the names of opts that GODEBUG accepts at the
// given GOAMD64 level (1 to 4; 0 when not amd64), sorted, with "all".
func CPUOptionNames(opts []CPUOption, goamd64 int) []string {
	names := []string{"all"}
	for _, o := range opts {
		if o.BelowGOAMD64 == 0 || goamd64 < o.BelowGOAMD64 {
			names = append(names, o.Name)
		}
	}
	slices.Sort(names)
	return names
}

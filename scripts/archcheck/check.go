package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Limits of the command line: beyond them a use case lives in the wrong
// place.
const (
	maxCLILines = 1500
	maxCLIFunc  = 60
)

const modulePrefix = "github.com/perfharness/harness/harness"

// layers ranks the harness's packages down the pipeline: a package may
// import only packages of a lower rank, so no arrow points back up and
// packages of one rank (run, gate, report) stay independent.
var layers = map[string]int{
	"host": 0, "toolchain": 0, "escape": 0, "internal/peer": 0,
	"spec":          1,
	"instr":         1,
	"results":       2,
	"plan":          3,
	"build":         4,
	"compare":       4,
	"internal/fake": 4,
	"run":           5,
	"gate":          5,
	"report":        5,
	"export":        5,
	"verify":        6,
	"cli":           7,
	"harness":       8, // the main package
}

// cliWires is what the command line may import: the packages whose use
// cases it calls and whose options it fills.
var cliWires = []string{"build", "compare", "escape", "export", "gate", "host", "plan", "report", "results", "run", "spec", "toolchain", "verify"}

// unnamed are leaves every printer uses, which package docs need not name:
// escape keeps control characters from specs and results folders visible.
var unnamed = []string{"escape"}

// A pkg is one harness package's non-test files.
type pkg struct {
	name    string // path below harness/, "harness" for the main package
	files   map[string]*ast.File
	doc     string
	imports []string // harness packages, by name
}

// A result is what check measured and the problems it found.
type result struct {
	CLILines, CLICode int
	LongestFunc       string
	LongestLines      int
	Imports           map[string][]string
	Problems          []string
}

func (r *result) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func check(root string) (*result, error) {
	fset := token.NewFileSet()
	pkgs, err := load(fset, filepath.Join(root, "harness"))
	if err != nil {
		return nil, err
	}
	r := &result{Imports: map[string][]string{}}
	for _, p := range pkgs {
		r.Imports[p.name] = p.imports
	}
	r.measureCLI(fset, pkgs["cli"])
	r.oneRule(fset, pkgs)
	r.layering(pkgs)
	r.docs(pkgs)
	sort.Strings(r.Problems)
	return r, nil
}

// load parses every package under dir, test files left out.
func load(fset *token.FileSet, dir string) (map[string]*pkg, error) {
	pkgs := map[string]*pkg{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(dir, filepath.Dir(path))
		name := filepath.ToSlash(rel)
		if name == "." {
			name = "harness"
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		p := pkgs[name]
		if p == nil {
			p = &pkg{name: name, files: map[string]*ast.File{}}
			pkgs[name] = p
		}
		p.files[path] = f
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package ") || f.Doc != nil && name == "harness" && strings.HasPrefix(f.Doc.Text(), "Command ") {
			p.doc = f.Doc.Text()
		}
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if dep, ok := strings.CutPrefix(path, modulePrefix+"/"); ok && !slices.Contains(p.imports, dep) {
				p.imports = append(p.imports, dep)
			}
		}
		return nil
	})
	for _, p := range pkgs {
		sort.Strings(p.imports)
	}
	return pkgs, err
}

// measureCLI counts harness/cli's non-test lines (all, and those holding
// code rather than comments or blanks) and finds its longest function.
func (r *result) measureCLI(fset *token.FileSet, cli *pkg) {
	if cli == nil {
		r.problem("no harness/cli package")
		return
	}
	for path, f := range cli.files {
		tf := fset.File(f.Pos())
		r.CLILines += tf.LineCount()
		r.CLICode += codeLines(tf, f)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			if n > r.LongestLines {
				r.LongestLines, r.LongestFunc = n, fmt.Sprintf("%s (%s)", funcName(fd), filepath.Base(path))
			}
			if n > maxCLIFunc {
				r.problem("harness/cli: %s is %d lines (at most %d): the use case belongs in the package that owns it", funcName(fd), n, maxCLIFunc)
			}
		}
	}
	if r.CLILines > maxCLILines {
		r.problem("harness/cli is %d lines of non-test code (at most %d)", r.CLILines, maxCLILines)
	}
}

// codeLines counts the lines of f that hold something other than comments.
func codeLines(tf *token.File, f *ast.File) int {
	comment := map[int]bool{}
	for _, g := range f.Comments {
		for l := tf.Line(g.Pos()); l <= tf.Line(g.End()); l++ {
			comment[l] = true
		}
	}
	lines := map[int]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		if _, ok := n.(*ast.CommentGroup); ok {
			return false
		}
		lines[tf.Line(n.Pos())] = true
		lines[tf.Line(n.End())] = true
		return true
	})
	return len(lines)
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv != nil && len(fd.Recv.List) > 0 {
		t := fd.Recv.List[0].Type
		if s, ok := t.(*ast.StarExpr); ok {
			t = s.X
		}
		if id, ok := t.(*ast.Ident); ok {
			return id.Name + "." + fd.Name.Name
		}
	}
	return fd.Name.Name
}

// A rule is one thing the harness must do in one place: where it lives and
// what a copy of it looks like.
type rule struct {
	what  string
	owner string // the package allowed to hold it
	// match reports whether node, in function fn ("" outside one), is
	// (part of) the rule.
	match func(n ast.Node) bool
	// once: a definition that must exist exactly once, in owner.
	once bool
}

var medianName = regexp.MustCompile(`(?i)^median(of)?$`)

func rules() []rule {
	lit := func(n ast.Node, values ...string) bool {
		b, ok := n.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return false
		}
		v, _ := strconv.Unquote(b.Value)
		return slices.Contains(values, v)
	}
	return []rule{
		{what: "median function", owner: "results", once: true, match: func(n ast.Node) bool {
			fd, ok := n.(*ast.FuncDecl)
			return ok && medianName.MatchString(fd.Name.Name)
		}},
		{what: "median of the middle two values, (s[a] + s[b]) / 2", owner: "results", match: func(n ast.Node) bool {
			b, ok := n.(*ast.BinaryExpr)
			if !ok || b.Op != token.QUO || !lit2(b.Y) {
				return false
			}
			p, ok := b.X.(*ast.ParenExpr)
			if !ok {
				return false
			}
			sum, ok := p.X.(*ast.BinaryExpr)
			if !ok || sum.Op != token.ADD {
				return false
			}
			_, l := sum.X.(*ast.IndexExpr)
			_, r := sum.Y.(*ast.IndexExpr)
			return l && r
		}},
		{what: `result.json or server.json file name`, owner: "results", match: func(n ast.Node) bool {
			return lit(n, "result.json", "server.json")
		}},
		{what: "driver result decoder (a struct with json tag achieved_rate or gc_pause_p99_ns)", owner: "results", match: func(n ast.Node) bool {
			f, ok := n.(*ast.Field)
			return ok && f.Tag != nil && (strings.Contains(f.Tag.Value, `json:"achieved_rate"`) || strings.Contains(f.Tag.Value, `json:"gc_pause_p99_ns"`))
		}},
		{what: `bench-line parser (a "Benchmark" or "Unit " prefix test)`, owner: "results", match: func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) != 2 {
				return false
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			return ok && (sel.Sel.Name == "HasPrefix" || sel.Sel.Name == "CutPrefix") && lit(c.Args[1], "Benchmark", "Unit ")
		}},
		{what: "shard predicate (index % n compared with i-1)", owner: "results", match: func(n ast.Node) bool {
			b, ok := n.(*ast.BinaryExpr)
			if !ok || (b.Op != token.EQL && b.Op != token.NEQ) {
				return false
			}
			op := func(e ast.Expr, o token.Token) bool { x, ok := e.(*ast.BinaryExpr); return ok && x.Op == o }
			return op(b.X, token.REM) && op(b.Y, token.SUB) || op(b.Y, token.REM) && op(b.X, token.SUB)
		}},
		{what: "shard parser ParseShard", owner: "results", once: true, match: func(n ast.Node) bool {
			fd, ok := n.(*ast.FuncDecl)
			return ok && fd.Name.Name == "ParseShard"
		}},
		{what: "shard predicate InShard", owner: "results", once: true, match: func(n ast.Node) bool {
			fd, ok := n.(*ast.FuncDecl)
			return ok && fd.Name.Name == "InShard"
		}},
		{what: "status type", owner: "results", once: true, match: func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			return ok && ts.Name.Name == "Status"
		}},
	}
}

func lit2(e ast.Expr) bool {
	b, ok := e.(*ast.BasicLit)
	return ok && b.Kind == token.INT && b.Value == "2"
}

// oneRule finds every copy of each rule outside its owner, and checks the
// definitions that must exist once.
func (r *result) oneRule(fset *token.FileSet, pkgs map[string]*pkg) {
	for _, ru := range rules() {
		var found []string
		for _, p := range pkgs {
			for _, f := range p.files {
				ast.Inspect(f, func(n ast.Node) bool {
					if n != nil && ru.match(n) {
						pos := fset.Position(n.Pos())
						found = append(found, fmt.Sprintf("%s:%d", rel(pos.Filename), pos.Line))
						if p.name != ru.owner {
							r.problem("%s at %s: it belongs in %s alone", ru.what, rel(pos.Filename), ru.owner)
						}
					}
					return true
				})
			}
		}
		if ru.once && len(found) != 1 {
			r.problem("%s defined %d times (%s), want once, in %s", ru.what, len(found), strings.Join(found, ", "), ru.owner)
		}
	}
}

// rel shortens a path to the part from harness/ on.
func rel(path string) string {
	if i := strings.LastIndex(path, "/harness/"); i >= 0 {
		return path[i+1:]
	}
	return path
}

// layering checks every import points to a lower layer and that cli
// imports only what it wires.
func (r *result) layering(pkgs map[string]*pkg) {
	for _, p := range pkgs {
		rank, ok := layers[p.name]
		if !ok {
			r.problem("package %s has no layer in scripts/archcheck: place it in the pipeline", p.name)
			continue
		}
		for _, dep := range p.imports {
			if dr, ok := layers[dep]; ok && dr >= rank {
				r.problem("%s imports %s: an arrow back up (or across) the pipeline (layer %d → %d)", p.name, dep, rank, dr)
			}
		}
	}
	if cli := pkgs["cli"]; cli != nil {
		for _, dep := range cli.imports {
			if !slices.Contains(cliWires, dep) {
				r.problem("cli imports %s, which it does not wire", dep)
			}
		}
	}
}

// docs checks what each package doc says about imports: every package it
// names as "above X" (or "X (below)") is one it imports, directly or not;
// every package it names as "below X" (or "X (above)") imports it; and
// every harness package it imports directly is named.
func (r *result) docs(pkgs map[string]*pkg) {
	deps := map[string]map[string]bool{} // transitive imports
	var closure func(string) map[string]bool
	closure = func(name string) map[string]bool {
		if d, ok := deps[name]; ok {
			return d
		}
		d := map[string]bool{}
		deps[name] = d
		if p := pkgs[name]; p != nil {
			for _, im := range p.imports {
				d[im] = true
				for x := range closure(im) {
					d[x] = true
				}
			}
		}
		return d
	}
	for _, p := range pkgs {
		if strings.HasPrefix(p.name, "internal/") || p.name == "harness" {
			continue
		}
		if p.doc == "" {
			r.problem("package %s has no package doc", p.name)
			continue
		}
		above, below := claims(p.doc, pkgs)
		for _, x := range above {
			if !closure(p.name)[x] {
				r.problem("package %s's doc puts it above %s, but it does not import %s", p.name, x, x)
			}
		}
		for _, x := range below {
			if !closure(x)[p.name] {
				r.problem("package %s's doc puts it below %s, but %s does not import it", p.name, x, x)
			}
		}
		words := wordSet(p.doc)
		for _, im := range p.imports {
			if !words[im] && !strings.HasPrefix(im, "internal/") && !slices.Contains(unnamed, im) {
				r.problem("package %s imports %s, which its doc does not name", p.name, im)
			}
		}
	}
}

var wordRE = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_]*`)

func wordSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range wordRE.FindAllString(s, -1) {
		out[w] = true
	}
	return out
}

var tokenRE = regexp.MustCompile(`\(above\)|\(below\)|[A-Za-z0-9_/']+|[.,;:()]`)

// claims reads the packages a doc places its package above and below:
// "above a, b and c", "below d" (the names right after the word, separated
// by commas, "and" and "or"), and "a/b (below)", "c (above)".
func claims(doc string, pkgs map[string]*pkg) (above, below []string) {
	toks := tokenRE.FindAllString(doc, -1)
	isPkg := func(w string) bool { _, ok := pkgs[w]; return ok && w != "harness" }
	for i, t := range toks {
		switch t {
		case "above", "below":
			var names []string
			for _, w := range toks[i+1:] {
				if w == "," || w == "and" || w == "or" {
					continue
				}
				if !isPkg(w) {
					break
				}
				names = append(names, w)
			}
			if t == "above" {
				above = append(above, names...)
			} else {
				below = append(below, names...)
			}
		case "(below)", "(above)":
			if i == 0 {
				continue
			}
			for _, w := range strings.Split(toks[i-1], "/") {
				if !isPkg(w) {
					continue
				}
				if t == "(below)" {
					above = append(above, w)
				} else {
					below = append(below, w)
				}
			}
		}
	}
	return above, below
}

func (r *result) print(w io.Writer) {
	fmt.Fprintf(w, "harness/cli: %d lines of non-test code (%d with code), at most %d\n", r.CLILines, r.CLICode, maxCLILines)
	fmt.Fprintf(w, "longest cli function: %s, %d lines, at most %d\n", r.LongestFunc, r.LongestLines, maxCLIFunc)
	fmt.Fprintf(w, "import graph (harness packages, by layer):\n")
	names := make([]string, 0, len(r.Imports))
	for n := range r.Imports {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if layers[names[i]] != layers[names[j]] {
			return layers[names[i]] > layers[names[j]]
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s → %s\n", n, strings.Join(r.Imports[n], " "))
	}
	if len(r.Problems) == 0 {
		fmt.Fprintf(w, "ok: one rule in one place, no arrow back up, package docs match their imports\n")
		return
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "FAIL: %s\n", p)
	}
}

package spec

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds how many YAML nodes decoding visits. Aliases make a small
// file expand to an enormous tree ("billion laughs"); a real bench.yaml has a
// few hundred nodes.
const maxNodes = 100_000

// maxArgLen is Linux's MAX_ARG_STRLEN: the most bytes (with its NUL) one
// argument or environment string can have; exec fails with E2BIG past it.
const maxArgLen = 128 << 10

// maxFileSize bounds the spec file; anything larger is not a hand-written spec.
const maxFileSize = 4 << 20

// Load reads, decodes and validates the spec at path.
func Load(path string) (*Spec, error) {
	data, err := readSpec(path)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	return parse(path, dir, data)
}

// LoadIn reads the spec at path like Load, but resolves its relative paths
// against dir: a copy kept in a results folder still points at the packages
// of the original.
func LoadIn(path, dir string) (*Spec, error) {
	data, err := readSpec(path)
	if err != nil {
		return nil, err
	}
	return parse(path, dir, data)
}

// readSpec reads a spec file of at most maxFileSize bytes.
func readSpec(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, ErrorList{{File: path, Pos: Pos{1, 1}, Msg: fmt.Sprintf("file is larger than %d bytes", maxFileSize)}}
	}
	return data, nil
}

// Parse decodes and validates a spec from data; file names it in errors.
// The error, if any, is an ErrorList holding every problem found.
func Parse(file string, data []byte) (*Spec, error) {
	return parse(file, "", data)
}

// parse is Parse with the folder the spec lives in; when dir is known,
// package and profile paths are checked against the repository holding it.
func parse(file, dir string, data []byte) (*Spec, error) {
	// A Decoder, not Unmarshal: Unmarshal reads the first document and
	// ignores the rest, so a stray "---" would silently drop half a spec.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil && err != io.EOF {
		return nil, ErrorList{syntaxError(file, data, err)}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		return nil, ErrorList{syntaxError(file, data, err)}
	}
	d := &decoder{file: file, pos: map[string]Pos{}, failed: map[string]bool{}}
	s := &Spec{File: file, Dir: dir, Source: data}
	if extra.Kind != 0 {
		// Even a valid second document is an error: whichever of the two
		// the harness picked, the other would be ignored.
		d.keyErrorf(&extra, "", "a second YAML document (after ---): a spec is one document; merge the two or remove this one")
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		d.errs = append(d.errs, &Error{File: file, Pos: Pos{1, 1}, Msg: "empty spec: want a mapping with at least toolchains and workloads"})
		d.errs.Sort()
		return nil, d.errs
	}
	d.decodeValue(root.Content[0], reflect.ValueOf(s).Elem(), "")
	s.pos, s.failed = d.pos, d.failed
	if d.tooBig || d.failed[""] {
		// Nothing sensible to validate in an alias bomb or a document
		// that is not a mapping.
		d.errs.Sort()
		return nil, d.errs.Err()
	}
	d.errs = append(d.errs, s.validate()...)
	d.errs.Sort()
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return s, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a YAML parser error into a positioned Error. The parser
// reports lines but not columns, and no line at all for a bad character
// (the reader's errors) or a problem on the first line; the first is found
// here, at its line and column, and the second is line 1.
func syntaxError(file string, data []byte, err error) *Error {
	msg := err.Error()
	e := &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = "invalid YAML: " + m[2]
		return e
	}
	if pos, what, ok := badChar(data); ok {
		e.Pos, e.Msg = pos, "invalid YAML: "+what
		return e
	}
	e.Line = 1
	return e
}

// badChar finds the first byte sequence a YAML reader refuses: invalid UTF-8
// or a character outside YAML's printable set (NUL, most C0 and C1 controls,
// surrogates, U+FFFE/U+FFFF). It gives its 1-based line and column in
// characters.
func badChar(data []byte) (Pos, string, bool) {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return Pos{}, "", false // UTF-16: decoded by the reader, not checked here
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return Pos{line, col}, fmt.Sprintf("invalid UTF-8 (byte 0x%02x)", data[i]), true
		case !yamlPrintable(r):
			return Pos{line, col}, fmt.Sprintf("control character %U is not allowed", r), true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return Pos{}, "", false
}

// yamlPrintable is YAML 1.2's c-printable set, as the parser enforces it.
func yamlPrintable(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
		(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// A decoder walks a YAML node tree into Go values, recording the position of
// every value by path and collecting every error instead of stopping.
type decoder struct {
	file   string
	errs   ErrorList
	pos    map[string]Pos
	failed map[string]bool
	nodes  int
	tooBig bool
}

// nodeDecoder is implemented by types whose YAML form is not a plain
// struct/list/scalar (one-or-many values, ordered mappings, units).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// errorf reports that the value at path could not be decoded; validation
// then leaves that path alone.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	d.keyErrorf(n, path, format, args...)
}

// keyErrorf reports a problem with a key of the mapping at path (unknown,
// duplicate): the mapping's other values still decode and validate.
func (d *decoder) keyErrorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Pos: Pos{n.Line, n.Column}, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// resolve follows aliases and counts nodes, so alias bombs stop early.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxNodes && !d.tooBig {
		d.tooBig = true
		d.errorf(n, "", "spec expands to more than %d YAML nodes (aliases?)", maxNodes)
	}
	return n
}

var nodeDecoderType = reflect.TypeOf((*nodeDecoder)(nil)).Elem()

func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	n = d.resolve(n)
	if d.tooBig {
		return
	}
	d.pos[path] = Pos{n.Line, n.Column}
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decodeValue(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Int, reflect.Int64:
		if s, ok := d.scalar(n, path, "an integer"); ok {
			i, err := strconv.ParseInt(s, 0, 64)
			if err != nil || n.Tag == "!!str" && strings.TrimSpace(s) != s {
				d.errorf(n, path, "want an integer, got %q", s)
				return
			}
			if v.Kind() == reflect.Int && (i > math.MaxInt32 || i < math.MinInt32) {
				d.errorf(n, path, "integer %d out of range", i)
				return
			}
			v.SetInt(i)
		}
	case reflect.Float64:
		if s, ok := d.scalar(n, path, "a number"); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				d.errorf(n, path, "want a number, got %q", s)
				return
			}
			v.SetFloat(f)
		}
	case reflect.Bool:
		if s, ok := d.scalar(n, path, "true or false"); ok {
			switch s {
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				d.errorf(n, path, "want true or false, got %q", s)
			}
		}
	default:
		panic(fmt.Sprintf("spec: no decoder for %s", v.Type()))
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// scalar returns n's text if n is a non-null scalar; otherwise it records an
// error saying what was wanted.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "want %s, got %s", want, describe(n))
		return "", false
	}
	if strings.ContainsRune(n.Value, 0) {
		// Every value ends up in an argument, an environment variable or
		// a file name, none of which can carry a NUL ("\0" in a quoted
		// string): the process would fail to start.
		d.errorf(n, path, "%q contains a NUL byte, which no argument, environment variable or file name can carry", n.Value)
		return "", false
	}
	if len(n.Value) >= maxArgLen {
		d.errorf(n, path, "value of %d bytes: longer than one argument or environment variable of a process can be (%d bytes)", len(n.Value), maxArgLen-1)
		return "", false
	}
	return n.Value, true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unsupported YAML node"
}

func yamlKey(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "" || tag == "-" {
		return ""
	}
	return tag
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", describe(n))
		return
	}
	t := v.Type()
	var keys []string
	fields := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if k := yamlKey(t.Field(i)); k != "" {
			keys = append(keys, k)
			fields[k] = i
		}
	}
	d.eachKey(n, path, func(k, val *yaml.Node, key string) {
		i, ok := fields[key]
		if !ok && path == "" && strings.HasPrefix(key, "x-") {
			return // extension field: a home for YAML anchors, ignored
		}
		if !ok {
			d.keyErrorf(k, path, "unknown field %q%s", key, DidYouMean(key, keys))
			return
		}
		d.decodeValue(val, v.Field(i), join(path, key))
	})
}

// eachKey calls fn for every key of mapping n, reporting non-string and
// duplicate keys. YAML merge keys ("<<: *defaults") contribute the keys of
// the merged mappings that n does not set itself.
func (d *decoder) eachKey(n *yaml.Node, path string, fn func(k, v *yaml.Node, key string)) {
	seen := map[string]*yaml.Node{}
	var merged []*yaml.Node // key, value pairs from merge keys, in order
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := d.resolve(n.Content[i]), n.Content[i+1]
		if d.tooBig {
			return
		}
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, d.mergePairs(val, path)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.keyErrorf(k, path, "keys must be plain strings, got %s", describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.keyErrorf(k, path, "duplicate key %q (first at line %d)", k.Value, prev.Line)
			continue
		}
		seen[k.Value] = k
		fn(k, val, k.Value)
	}
	for i := 0; i+1 < len(merged); i += 2 {
		k, val := d.resolve(merged[i]), merged[i+1]
		if k.Kind != yaml.ScalarNode || seen[k.Value] != nil {
			continue
		}
		seen[k.Value] = k
		fn(k, val, k.Value)
	}
}

// mergePairs returns the key/value nodes a merge key's value contributes: a
// mapping, or a list of mappings (earlier ones win).
func (d *decoder) mergePairs(val *yaml.Node, path string) []*yaml.Node {
	val = d.resolve(val)
	switch val.Kind {
	case yaml.MappingNode:
		return val.Content
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, m := range val.Content {
			if m = d.resolve(m); m.Kind != yaml.MappingNode {
				d.errorf(m, path, "a merge key (<<) takes mappings, got %s", describe(m))
				continue
			}
			out = append(out, m.Content...)
		}
		return out
	}
	d.errorf(val, path, "a merge key (<<) takes a mapping, got %s", describe(val))
	return nil
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		d.decodeValue(e, s.Index(i), index(path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", describe(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		panic("spec: map keys must be strings")
	}
	m := reflect.MakeMap(v.Type())
	d.eachKey(n, path, func(k, val *yaml.Node, key string) {
		e := reflect.New(v.Type().Elem()).Elem()
		d.decodeValue(val, e, join(path, key))
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), e)
	})
	v.Set(m)
}

func (dur *Duration) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a duration such as 10s")
	if !ok {
		return
	}
	t, err := parseDuration(s)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	*dur = Duration(t)
}

func (p *Percent) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a percentage such as 5%")
	if !ok {
		return
	}
	f, err := parsePercent(s)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	*p = Percent(f)
}

// FDR accepts a percentage or off.
func (f *FDR) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a percentage such as 5%, or off")
	if !ok {
		return
	}
	switch strings.TrimSpace(s) {
	case "off", "false":
		*f = FDR{Off: true}
		return
	}
	v, err := parsePercent(s)
	if err != nil {
		d.errorf(n, path, "%v, or off", err)
		return
	}
	*f = FDR{Level: Percent(v)}
}

func (r *Rate) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a rate such as 20000/s")
	if !ok {
		return
	}
	f, err := parseRate(s)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	if !(f > 0) || math.IsInf(f, 0) {
		d.errorf(n, path, "must be > 0 (got %s)", s)
		return
	}
	if msg := checkRate(f); msg != "" {
		d.errorf(n, path, "%s: %s", s, msg)
		return
	}
	*r = Rate{PerSecond: f, Text: strings.TrimSpace(s)}
}

// Rates accepts one rate or a list of rates.
func (rs *Rates) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			d.errorf(n, path, "empty list of rates")
		}
		out := make(Rates, len(n.Content))
		for i, e := range n.Content {
			d.decodeValue(e, reflect.ValueOf(&out[i]).Elem(), index(path, i))
		}
		*rs = out
		return
	}
	var r Rate
	r.decodeNode(d, n, path)
	*rs = Rates{r}
}

// Op accepts a bare name or a mapping {name, requires, experiments}.
func (op *Op) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.scalar(n, path, "an op name")
		if ok {
			op.Name = s
		}
		return
	}
	type plain Op // no decodeNode method: decoded as a struct
	d.decodeStruct(n, reflect.ValueOf((*plain)(op)).Elem(), path)
}

// HTTPClient accepts the library alone (client: net/http) or a mapping.
func (c *HTTPClient) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		if s, ok := d.scalar(n, path, "a client library or a mapping"); ok {
			c.Library = s
		}
		return
	}
	type plain HTTPClient // no decodeNode method: decoded as a struct
	d.decodeStruct(n, reflect.ValueOf((*plain)(c)).Elem(), path)
}

// Shuffle accepts true/false or an integer seed.
func (sh *Shuffle) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "true, false or an integer seed")
	if !ok {
		return
	}
	switch s {
	case "true":
		*sh = Shuffle{On: true}
	case "false":
		*sh = Shuffle{}
	default:
		seed, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			d.errorf(n, path, "want true, false or an integer seed, got %q", s)
			return
		}
		*sh = Shuffle{On: true, Seed: seed}
	}
}

// orderedMapping decodes a mapping whose key order matters, calling fn for
// each entry.
func (d *decoder) orderedMapping(n *yaml.Node, path string, fn func(key string, val *yaml.Node, vpath string)) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", describe(n))
		return
	}
	d.eachKey(n, path, func(k, val *yaml.Node, key string) {
		vpath := join(path, key)
		d.pos[vpath] = Pos{k.Line, k.Column}
		fn(key, d.resolve(val), vpath)
	})
}

func (p *Params) decodeNode(d *decoder, n *yaml.Node, path string) {
	d.orderedMapping(n, path, func(key string, val *yaml.Node, vpath string) {
		if s, ok := d.scalar(val, vpath, "a string"); ok {
			*p = append(*p, KV{key, s})
		}
	})
}

func (e *Envs) decodeNode(d *decoder, n *yaml.Node, path string) {
	d.orderedMapping(n, path, func(key string, val *yaml.Node, vpath string) {
		env := Env{Name: key}
		d.orderedMapping(val, vpath, func(k string, v *yaml.Node, p string) {
			if s, ok := d.scalar(v, p, "a string"); ok {
				env.Vars = append(env.Vars, KV{k, s})
			}
		})
		*e = append(*e, env)
	})
}

func (rs *Requests) decodeNode(d *decoder, n *yaml.Node, path string) {
	d.orderedMapping(n, path, func(key string, val *yaml.Node, vpath string) {
		r := Request{Name: key}
		d.decodeStruct(val, reflect.ValueOf(&r).Elem(), vpath)
		*rs = append(*rs, r)
	})
}

func (s *Selector) decodeNode(d *decoder, n *yaml.Node, path string) {
	d.orderedMapping(n, path, func(key string, val *yaml.Node, vpath string) {
		v, ok := d.scalar(val, vpath, "a dimension value")
		if !ok {
			return
		}
		if !isDimension(key) {
			names := make([]string, len(Dimensions))
			for i, dim := range Dimensions {
				names[i] = string(dim)
			}
			d.keyErrorf(val, path, "unknown dimension %q%s", key, DidYouMean(key, names))
			return
		}
		*s = append(*s, KV{key, v})
	})
	if n.Kind == yaml.MappingNode && len(*s) == 0 && len(n.Content) == 0 {
		d.errorf(n, path, "empty selector would exclude every cell")
	}
}

func isDimension(s string) bool {
	for _, d := range Dimensions {
		if string(d) == s {
			return true
		}
	}
	return false
}

package driver

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Params are an op's parameters, from repeated -param key=value flags. The
// getters return the default when a key is absent and an error naming the
// key when its value does not parse. The driver warns about keys no getter
// asked for, which catches misspelt parameters.
type Params struct {
	values map[string]string
	used   map[string]bool
	seed   int64
}

// NewParams returns Params holding values and seed, for calling an Op's
// Setup outside the driver (tests, examples).
func NewParams(values map[string]string, seed int64) Params {
	if values == nil {
		values = map[string]string{}
	}
	return Params{values: values, used: map[string]bool{}, seed: seed}
}

// Seed is the -seed value, for ops that use randomness reproducibly.
func (p Params) Seed() int64 { return p.seed }

func (p Params) lookup(key string) (string, bool) {
	v, ok := p.values[key]
	if p.used != nil {
		p.used[key] = true
	}
	return v, ok
}

// String returns the value of key, or def.
func (p Params) String(key, def string) string {
	if v, ok := p.lookup(key); ok {
		return v
	}
	return def
}

// Int returns the value of key as an int, or def.
func (p Params) Int(key string, def int) (int, error) {
	v, ok := p.lookup(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, fmt.Errorf("param %s=%q: want an integer", key, v)
	}
	return n, nil
}

// Float returns the value of key as a float64, or def.
func (p Params) Float(key string, def float64) (float64, error) {
	v, ok := p.lookup(key)
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return def, fmt.Errorf("param %s=%q: want a number", key, v)
	}
	return f, nil
}

// Duration returns the value of key as a time.Duration ("250ms"), or def.
func (p Params) Duration(key string, def time.Duration) (time.Duration, error) {
	v, ok := p.lookup(key)
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def, fmt.Errorf("param %s=%q: want a duration such as 250ms", key, v)
	}
	return d, nil
}

// Bool returns the value of key as a bool, or def.
func (p Params) Bool(key string, def bool) (bool, error) {
	v, ok := p.lookup(key)
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("param %s=%q: want true or false", key, v)
	}
	return b, nil
}

// unused lists the keys that no getter asked for, sorted.
func (p Params) unused() []string {
	var keys []string
	for k := range p.values {
		if !p.used[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// A paramFlag collects repeated -param key=value flags.
type paramFlag map[string]string

func (f paramFlag) String() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + f[k])
	}
	return b.String()
}

func (f paramFlag) Set(s string) error {
	k, v, err := parseParam(s)
	if err != nil {
		return err
	}
	if _, dup := f[k]; dup {
		return fmt.Errorf("param %q given twice", k)
	}
	f[k] = v
	return nil
}

// parseParam splits "key=value"; the key is non-empty and has no spaces or
// '=', the value is everything after the first '=' and may be empty.
func parseParam(s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("param %q: want key=value", s)
	}
	if key == "" || strings.ContainsAny(key, " \t\n\r") {
		return "", "", fmt.Errorf("param %q: key must be non-empty, without spaces", s)
	}
	return key, value, nil
}

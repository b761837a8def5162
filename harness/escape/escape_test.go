package escape

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct {
		in, text, line, why string
	}{
		{"plain run-id_1.2", "plain run-id_1.2", "plain run-id_1.2", "nothing to escape"},
		{"a\nb\tc", "a\nb\tc", `a\nb\tc`, "layout kept in text, escaped on a line"},
		{"\x1b[2J\x1b]0;pwned\x07", `\u001b[2J\u001b]0;pwned\u0007`, `\u001b[2J\u001b]0;pwned\u0007`, "terminal escape sequences"},
		{"ok\rFAIL", `ok\u000dFAIL`, `ok\u000dFAIL`, "a carriage return overwriting the line"},
		{"\x00\x7f", `\u0000\u007f`, `\u0000\u007f`, "NUL and DEL"},
		{"a\u009bb", `a\u009bb`, `a\u009bb`, "C1 CSI"},
		{"run\u202egpj.exe", `run\u202egpj.exe`, `run\u202egpj.exe`, "a bidi override"},
		{"x\u2028y", `x\u2028y`, `x\u2028y`, "a line separator"},
		{"\xffz", `\xffz`, `\xffz`, "a byte that is not UTF-8"},
		{"héllo 世界 ✓", "héllo 世界 ✓", "héllo 世界 ✓", "printable Unicode kept"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.text {
			t.Errorf("Text(%q) = %q, want %q (%s)", tt.in, got, tt.text, tt.why)
		}
		if got := Line(tt.in); got != tt.line {
			t.Errorf("Line(%q) = %q, want %q (%s)", tt.in, got, tt.line, tt.why)
		}
		var b bytes.Buffer
		if n, err := NewWriter(&b).Write([]byte(tt.in)); n != len(tt.in) || err != nil || b.String() != tt.text {
			t.Errorf("Writer(%q) = %q, %d, %v; want %q (%s)", tt.in, b.String(), n, err, tt.text, tt.why)
		}
	}
}

// FuzzText checks that escaped text holds no unsafe character and no
// invalid UTF-8, keeps every safe character, and that JSON written through
// a Writer stays valid and decodes to the same value.
func FuzzText(f *testing.F) {
	for _, s := range []string{"a\x1b[31mb", "\xff\xfe", "x\u202ey", "\u0085", "line\nnext\ttab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Text(s), Line(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("%q escaped to invalid UTF-8 %q", s, out)
			}
			for _, r := range out {
				if unsafe(r) {
					t.Fatalf("%q escaped to %q, which holds %U", s, out, r)
				}
			}
		}
		if strings.Count(Text(s), "\n") != strings.Count(s, "\n") || strings.Contains(Line(s), "\n") {
			t.Fatalf("newlines not kept in Text or not escaped in Line: %q", s)
		}
		if utf8.ValidString(s) {
			data, _ := json.Marshal(map[string]string{"v": s})
			var b bytes.Buffer
			NewWriter(&b).Write(data)
			var back map[string]string
			if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["v"] != s {
				t.Fatalf("JSON %s through a Writer: %s, %v; decodes to %q", data, b.Bytes(), err, back["v"])
			}
		}
	})
}

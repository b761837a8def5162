// Package escape owns how text from outside the harness — a spec's values,
// a results folder's manifest, a workload's stderr — is written where a
// person reads it: a terminal, summary.txt, report.md, a gate summary. Such
// text may hold control characters: an ESC that starts a terminal escape
// sequence (recolouring, retitling or clearing the screen, hiding the lines
// before it), a carriage return that overwrites a line, a Unicode override
// that shows a run id in another order than its bytes.
//
// Every such character is written as a visible escape instead (\u001b),
// which is also a valid escape inside a JSON string, so JSON written through
// the same sink stays valid and means the same. Newlines and tabs are kept:
// they are how the harness lays out its own output. Markdown's own syntax is
// not this package's concern (compare.MarkdownEscape and the gate's cell
// escaping handle tables and markup).
//
// It is a leaf: the cli wraps its stdout and stderr in a Writer, run escapes
// its progress lines, and report, compare, gate and trend write their text,
// Markdown and CSV through a Writer whatever the destination.
package escape

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// unsafe reports whether r must not reach a reader raw: C0 and C1 control
// characters and DEL (but newline and tab), the line and paragraph
// separators, and the bidirectional embeddings, overrides and isolates.
func unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r >= 0x7f && r < 0xa0:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// clean reports whether b needs no escaping, the common case.
func clean(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 || unsafe(r) {
			return false
		}
		i += size
	}
	return true
}

// appendEscaped appends b to dst with every unsafe character and invalid
// UTF-8 byte written as an escape: \u001b, \u202e; \xff for a byte that is
// not UTF-8.
func appendEscaped(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			dst = fmt.Appendf(dst, `\x%02x`, b[i])
		case unsafe(r):
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return dst
}

// Text returns s with its control characters escaped; newlines and tabs
// are kept.
func Text(s string) string {
	if clean([]byte(s)) {
		return s
	}
	return string(appendEscaped(nil, []byte(s)))
}

// Line is Text for a value shown on one line (a run id, a table cell, an
// environment value): newlines and tabs are escaped too.
func Line(s string) string {
	return lineEscaper.Replace(Text(s))
}

var lineEscaper = strings.NewReplacer("\n", `\n`, "\t", `\t`)

// A Writer escapes everything written through it like Text. Each Write is
// escaped on its own: a writer that splits a multi-byte character across
// two Writes gets its bytes escaped as \xNN (fmt and tabwriter never do).
type Writer struct {
	w io.Writer
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	if ew, ok := w.(*Writer); ok {
		return ew
	}
	return &Writer{w: w}
}

// Write writes p escaped. It reports len(p) when everything was written.
func (w *Writer) Write(p []byte) (int, error) {
	if clean(p) {
		return w.w.Write(p)
	}
	if _, err := w.w.Write(appendEscaped(make([]byte, 0, len(p)+16), p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the writer underneath, for output that is not text from
// outside (a terminal's own control sequences), and for finding the file
// behind the writer (is it a terminal?).
func (w *Writer) Unwrap() io.Writer { return w.w }

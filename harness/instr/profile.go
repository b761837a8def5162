package instr

import (
	"bufio"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
)

// A Profile is what one cachegrind output file says: the instructions
// executed (event Ir), in all and per function. It is read from a file the
// counted program's run left, so it is read strictly: a file whose counts
// do not add up to its summary line (cut short, say) is an error.
type Profile struct {
	Cmd    string            // the command line cachegrind recorded
	Events []string          // event names in count order, e.g. [Ir]
	Total  uint64            // instructions executed, the summary's Ir
	Funcs  map[string]uint64 // instructions per function name (all files)
}

// maxLine bounds one line of a profile: function names of Go generics get
// long, but not this long.
const maxLine = 1 << 20

// ParseProfile reads a cachegrind output file (the format valgrind 3.x
// writes: desc:, cmd:, events:, fl=/fn= lines, count lines, summary:).
func ParseProfile(r io.Reader) (*Profile, error) {
	p := &Profile{Funcs: map[string]uint64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var (
		lineNo  int
		ir      = -1 // index of Ir among the events
		fn      string
		haveFn  bool
		sum     uint64
		summary bool
	)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("cachegrind output line %d: %s", lineNo, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if summary {
			if strings.TrimSpace(line) == "" {
				continue
			}
			return nil, bad("text after the summary line")
		}
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, "desc:"):
			continue
		case strings.HasPrefix(line, "cmd:"):
			if p.Events != nil {
				return nil, bad("cmd: after events:")
			}
			p.Cmd = strings.TrimSpace(strings.TrimPrefix(line, "cmd:"))
		case strings.HasPrefix(line, "events:"):
			if p.Events != nil {
				return nil, bad("a second events: line")
			}
			p.Events = strings.Fields(strings.TrimPrefix(line, "events:"))
			if len(p.Events) == 0 {
				return nil, bad("events: names no event")
			}
			for i, e := range p.Events {
				if e == "Ir" {
					ir = i
				}
			}
			if ir < 0 {
				return nil, bad("events %q do not include Ir (instructions)", p.Events)
			}
		case strings.HasPrefix(line, "fl="):
			if p.Events == nil {
				return nil, bad("fl= before events:")
			}
		case strings.HasPrefix(line, "fn="):
			if p.Events == nil {
				return nil, bad("fn= before events:")
			}
			fn, haveFn = strings.TrimPrefix(line, "fn="), true
		case strings.HasPrefix(line, "summary:"):
			if p.Events == nil {
				return nil, bad("summary: before events:")
			}
			counts, err := parseCounts(strings.Fields(strings.TrimPrefix(line, "summary:")), len(p.Events))
			if err != nil {
				return nil, bad("summary: %v", err)
			}
			p.Total = counts[ir]
			summary = true
		default:
			if p.Events == nil || !haveFn {
				return nil, bad("unexpected %q", clip(line))
			}
			f := strings.Fields(line)
			if _, err := strconv.ParseUint(f[0], 10, 64); err != nil {
				return nil, bad("count line: line number %q", clip(f[0]))
			}
			counts, err := parseCounts(f[1:], len(p.Events))
			if err != nil {
				return nil, bad("count line: %v", err)
			}
			var carry uint64
			if sum, carry = bits.Add64(sum, counts[ir], 0); carry != 0 {
				return nil, bad("instruction counts overflow")
			}
			p.Funcs[fn] += counts[ir]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cachegrind output line %d: %w", lineNo+1, err)
	}
	if p.Events == nil {
		return nil, fmt.Errorf("cachegrind output: no events: line (not a cachegrind file, or empty)")
	}
	if !summary {
		return nil, fmt.Errorf("cachegrind output: no summary: line (the file is cut short)")
	}
	if sum != p.Total {
		return nil, fmt.Errorf("cachegrind output: the instruction counts add up to %d, the summary says %d", sum, p.Total)
	}
	return p, nil
}

// parseCounts reads up to n counts; missing trailing counts are zero.
func parseCounts(f []string, n int) ([]uint64, error) {
	if len(f) > n {
		return nil, fmt.Errorf("%d counts for %d events", len(f), n)
	}
	out := make([]uint64, n)
	for i, s := range f {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("count %q is not a number", clip(s))
		}
		out[i] = v
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

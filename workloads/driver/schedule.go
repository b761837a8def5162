package driver

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A Schedule says when operation n (counting from 0) is due, as an offset from
// the start of the run. It is pure: the runner owns the clock. ok is false
// once n is past the schedule's end. Due is non-decreasing in n and safe for
// concurrent use.
type Schedule interface {
	Due(n uint64) (offset time.Duration, ok bool)
}

// A Segment is one stretch of a RatePlan: over Len the rate moves linearly from
// From to To operations per second (From == To for a constant rate).
type Segment struct {
	From, To float64
	Len      time.Duration
}

// A RatePlan is a Schedule made of segments played in order. Each segment starts
// with an operation due exactly at its start, so a segment of Len at rate r
// holds ceil(Len·r) operations (for a ramp, ceil of the area under the rate).
type RatePlan struct {
	segs  []Segment
	first []uint64        // index of each segment's first op; first[len(segs)] = total ops
	at    []time.Duration // start offset of each segment
	desc  string
}

// MaxRate is the highest rate a schedule may have, in ops/s: offsets stay
// exact in float64 nanoseconds up to it. -list-ops states it, so the
// harness checks a spec against the binary it built.
const MaxRate = 1e9

// NewRatePlan checks the segments and precomputes where each one starts.
func NewRatePlan(segs ...Segment) (*RatePlan, error) {
	if len(segs) == 0 {
		return nil, fmt.Errorf("schedule has no segments")
	}
	p := &RatePlan{segs: segs, first: make([]uint64, len(segs)+1), at: make([]time.Duration, len(segs)+1)}
	for i, s := range segs {
		if !validRate(s.From) || !validRate(s.To) || s.From+s.To == 0 {
			return nil, fmt.Errorf("segment %d: rates must be finite, in [0, %g] and not both 0 (got %g..%g)", i, float64(MaxRate), s.From, s.To)
		}
		if s.Len <= 0 {
			return nil, fmt.Errorf("segment %d: length must be > 0 (got %v)", i, s.Len)
		}
		p.first[i+1] = p.first[i] + s.count()
		p.at[i+1] = p.at[i] + s.Len
	}
	return p, nil
}

func validRate(r float64) bool { return r >= 0 && r <= MaxRate && !math.IsNaN(r) }

// Constant is a RatePlan at rateHz operations per second for d.
func Constant(rateHz float64, d time.Duration) (*RatePlan, error) {
	p, err := NewRatePlan(Segment{rateHz, rateHz, d})
	if err == nil {
		p.desc = "constant:" + fmtRate(rateHz)
	}
	return p, err
}

// Steps is a RatePlan that holds each rate in turn for d/len(rates).
func Steps(rates []float64, d time.Duration) (*RatePlan, error) {
	if len(rates) == 0 {
		return nil, fmt.Errorf("steps: no rates")
	}
	each := d / time.Duration(len(rates))
	segs := make([]Segment, len(rates))
	s := make([]string, len(rates))
	for i, r := range rates {
		segs[i] = Segment{r, r, each}
		s[i] = fmtRate(r)
	}
	p, err := NewRatePlan(segs...)
	if err == nil {
		p.desc = "steps:" + strings.Join(s, ",")
	}
	return p, err
}

// Ramp is a RatePlan whose rate moves linearly from one rate to another over d.
func Ramp(from, to float64, d time.Duration) (*RatePlan, error) {
	p, err := NewRatePlan(Segment{from, to, d})
	if err == nil {
		p.desc = "ramp:" + fmtRate(from) + "-" + fmtRate(to)
	}
	return p, err
}

// ParseSchedule reads a -schedule value: "" or "constant" (rateHz for d),
// "constant:R", "steps:R1,R2,...", each step lasting d divided by the number
// of steps, or "ramp:R1-R2", linear from R1 to R2 over d. Rates are
// operations per second.
func ParseSchedule(spec string, rateHz float64, d time.Duration) (*RatePlan, error) {
	kind, arg, hasArg := strings.Cut(spec, ":")
	switch {
	case kind == "" && !hasArg, kind == "constant" && !hasArg:
		return Constant(rateHz, d)
	case kind == "constant":
		r, err := parseRate(arg)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		return Constant(r, d)
	case kind == "steps":
		var rates []float64
		for _, f := range strings.Split(arg, ",") {
			r, err := parseRate(f)
			if err != nil {
				return nil, fmt.Errorf("schedule %q: %w", spec, err)
			}
			rates = append(rates, r)
		}
		p, err := Steps(rates, d)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		return p, nil
	case kind == "ramp":
		// Split at the first '-' that leaves two valid rates, so "1e-3-5" works.
		for i := 1; i < len(arg); i++ {
			if arg[i] != '-' {
				continue
			}
			from, err1 := parseRate(arg[:i])
			to, err2 := parseRate(arg[i+1:])
			if err1 == nil && err2 == nil {
				p, err := Ramp(from, to, d)
				if err != nil {
					return nil, fmt.Errorf("schedule %q: %w", spec, err)
				}
				return p, nil
			}
		}
		return nil, fmt.Errorf("schedule %q: want ramp:FROM-TO (rates in ops/s)", spec)
	}
	return nil, fmt.Errorf("schedule %q: unknown kind %q (want constant, steps:R1,R2,... or ramp:FROM-TO)", spec, kind)
}

func parseRate(s string) (float64, error) {
	r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !validRate(r) {
		return 0, fmt.Errorf("bad rate %q: want a number of ops/s in [0, %g]", s, float64(MaxRate))
	}
	return r, nil
}

func fmtRate(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) }

// String returns the plan in -schedule syntax where it came from one.
func (p *RatePlan) String() string {
	if p.desc != "" {
		return p.desc
	}
	return fmt.Sprintf("segments:%v", p.segs)
}

// Ops is the number of operations in the plan.
func (p *RatePlan) Ops() uint64 { return p.first[len(p.segs)] }

// Peak is the plan's highest rate, in ops/s.
func (p *RatePlan) Peak() float64 {
	var r float64
	for _, s := range p.segs {
		r = max(r, s.From, s.To)
	}
	return r
}

// Len is the plan's duration.
func (p *RatePlan) Len() time.Duration { return p.at[len(p.segs)] }

// Due implements Schedule.
func (p *RatePlan) Due(n uint64) (time.Duration, bool) {
	if n >= p.Ops() {
		return 0, false
	}
	i := 0
	if len(p.segs) > 1 {
		i = sort.Search(len(p.segs), func(i int) bool { return p.first[i+1] > n }) // first segment ending past n
	}
	return p.at[i] + p.segs[i].offset(n-p.first[i]), true
}

// Prefix returns a plan that runs warm at s's first rate for d and then
// plays s, so that warm-up has the load of the start of the measured window.
func (p *RatePlan) Prefix(d time.Duration) *RatePlan {
	if d <= 0 {
		return p
	}
	r := p.segs[0].From
	if r == 0 {
		r = p.segs[0].To // a ramp from 0 warms at its end rate rather than idling
	}
	q, err := NewRatePlan(append([]Segment{{r, r, d}}, p.segs...)...)
	if err != nil {
		panic(err) // unreachable: p's segments are valid and so is r
	}
	q.desc = p.desc
	return q
}

// offset is when op i of the segment is due, from the segment's start: the
// time t at which the area under the rate reaches i. For rate(t) = a + b·t
// that is a·t + b·t²/2 = i, solved in a form that is stable when b ≈ 0.
func (s Segment) offset(i uint64) time.Duration {
	if i == 0 {
		return 0
	}
	x := float64(i)
	var ns float64
	if s.From == s.To {
		ns = x * 1e9 / s.From // exact whenever the true offset is a whole number of ns
	} else {
		b := (s.To - s.From) / s.Len.Seconds()
		disc := s.From*s.From + 2*b*x
		if disc < 0 {
			return math.MaxInt64 // a ramp down to 0 never reaches op i
		}
		ns = 2e9 * x / (s.From + math.Sqrt(disc))
	}
	if ns = math.Round(ns); ns < math.MaxInt64 {
		return time.Duration(ns)
	}
	return math.MaxInt64
}

// count is the number of ops due in [0, Len): the first i whose offset
// reaches Len, found from the closed form and corrected against offset itself
// so that Due and count never disagree by a rounding error.
func (s Segment) count() uint64 {
	c := uint64(math.Ceil((s.From + s.To) / 2 * s.Len.Seconds()))
	for c > 0 && s.offset(c-1) >= s.Len {
		c--
	}
	for s.offset(c) < s.Len {
		c++
	}
	return c
}

// Stride returns generator i's share of s when n generators play it: ops i,
// i+n, i+2n, ... of s, at their due times in s. Together the n strides hold
// every op of s exactly once, so n processes each playing one, from one
// start instant, send what one process playing s would. For a constant rate
// r, stride i is the rate r/n offset by i/r.
func Stride(s Schedule, i, n int) Schedule {
	if n <= 1 {
		return s
	}
	return stride{s, uint64(i), uint64(n)}
}

type stride struct {
	s    Schedule
	i, n uint64
}

func (t stride) Due(k uint64) (time.Duration, bool) {
	if k > (math.MaxUint64-t.i)/t.n {
		return 0, false
	}
	return t.s.Due(t.i + k*t.n)
}

// firstDueAtOrAfter returns the index of the first op of sched due at or
// after t (the number of ops due before t), or the op count when none is.
func firstDueAtOrAfter(sched Schedule, t time.Duration) uint64 {
	before := func(n uint64) bool {
		d, ok := sched.Due(n)
		return ok && d < t
	}
	// Exponential then binary search: Due is non-decreasing.
	hi := uint64(1)
	for before(hi - 1) {
		if hi > math.MaxUint64/2 {
			return hi
		}
		hi *= 2
	}
	lo := hi / 2 // before(lo-1) holds or lo == 0
	for lo < hi {
		m := lo + (hi-lo)/2
		if before(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

package driver

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Why a run stopped before its schedule ended.
const (
	stopNone = iota
	stopBacklog
	stopInterrupted
	stopPanic
)

// A runner plays a schedule against an op, open loop: the schedule, not the
// op's speed, says when each op is due, and latency counts from then.
//
// Workers take turns as the pacer: holding the pace lock, a worker takes the
// next ticket (op number), waits for its due time, hands the lock on and
// runs the op. So tickets start in order and at most one goroutine waits on
// the clock. A ticket that is already due when a worker takes it was queued:
// every worker was busy when it fell due. Queueing therefore needs no queue:
// the backlog is the number of due tickets nobody has taken, and it costs
// nothing to hold, which is why nothing is ever dropped. There is no
// dispatcher goroutine and no per-op channel send; with one worker the pace
// lock is never contended.
type runner struct {
	clk          clock
	sched        Schedule // includes warm-up
	do           func(context.Context) error
	conc         int
	ws, we       time.Duration // measured window, as schedule offsets
	backlogLimit uint64
	pacer        string     // PacerFine, PacerCoarse or PacerAuto
	auto         *autoPacer // for PacerAuto; guarded by pace
	rec          *recorder
	onWindow     func()     // called once, just before ws, from its own goroutine
	probe        *hostProbe // times the host in the window's gaps; guarded by pace; nil: none

	windowOpen atomic.Bool   // onWindow has returned
	windowCh   chan struct{} // closed when onWindow has returned

	pace     sync.Locker
	next     uint64 // next ticket; guarded by pace
	stop     chan struct{}
	stopOnce sync.Once
	stopKind int
	stopWhy  string
	stopAt   time.Duration
}

// windowLead is how long before the window the runner starts its
// instruments.
const windowLead = 5 * time.Millisecond

// runStats are the runner's own figures for the measured window.
type runStats struct {
	issued      uint64        // ops started
	backlogPeak uint64        // most due-but-unstarted ops seen at once
	lastDue     time.Duration // due time of the last op started, or -1
	lastEnd     time.Duration // completion time of the last op
	stopKind    int
	stopWhy     string
	stopAt      time.Duration
}

type workerStats struct {
	issued, backlogPeak uint64
	lastDue, lastEnd    time.Duration
	_                   [64]byte // keep workers' stats on separate cache lines
}

func (r *runner) halt(kind int, why string) {
	r.stopOnce.Do(func() {
		r.stopKind, r.stopWhy, r.stopAt = kind, why, r.clk.Now()
		close(r.stop)
	})
}

// run plays the schedule until it ends, the backlog bound is hit, an op
// panics or ctx is done, and returns once every started op has completed.
func (r *runner) run(ctx context.Context) runStats {
	r.stop = make(chan struct{})
	r.pace = r.clk.NewPaceLock()
	if r.pacer == PacerAuto {
		r.auto = newAutoPacer()
	}
	p, _ := r.clk.(participant)
	var wg sync.WaitGroup
	stats := make([]workerStats, r.conc)
	spawn := func(f func()) {
		if p != nil {
			p.enter()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p != nil {
				defer p.exit()
			}
			f()
		}()
	}
	r.windowCh = make(chan struct{})
	if r.onWindow != nil {
		// Start the window's instruments a little early, so that ops due at
		// ws need not wait for them.
		spawn(func() {
			// Coarse: the instruments need not start to the microsecond,
			// and the pacer is the one fine sleeper.
			if _, ok := r.clk.SleepUntil(r.ws-windowLead, true, r.stop); ok {
				r.onWindow()
				r.windowOpen.Store(true)
				close(r.windowCh)
			}
		})
	} else {
		r.windowOpen.Store(true)
		close(r.windowCh)
	}
	for i := range stats {
		st := &stats[i]
		st.lastDue = -1
		spawn(func() { r.work(ctx, st) })
	}
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			r.halt(stopInterrupted, "interrupted: "+context.Cause(ctx).Error())
		case <-finished:
		}
	}()
	wg.Wait()
	close(finished)

	s := runStats{lastDue: -1}
	for _, st := range stats {
		s.issued += st.issued
		s.backlogPeak = max(s.backlogPeak, st.backlogPeak)
		s.lastDue = max(s.lastDue, st.lastDue)
		s.lastEnd = max(s.lastEnd, st.lastEnd)
	}
	r.halt(stopNone, "") // no-op if something stopped the run already
	s.stopKind, s.stopWhy, s.stopAt = r.stopKind, r.stopWhy, r.stopAt
	return s
}

func (r *runner) work(ctx context.Context, st *workerStats) {
	// idealFree is when this worker's previous op would have finished had
	// the generator started every op exactly when it could: at its due time
	// or, if later, when the worker's previous op would have finished.
	idealFree := r.clk.Now()
	for {
		due, start, ok := r.pace1(st)
		if !ok {
			return
		}
		// Generator lag: how much later the op started than it would have
		// with a perfect generator. Waiting behind this worker's own busy
		// ops is queueing, not lag: it shows as the gap between intended
		// and actual latency. But ops that fall due while the generator
		// itself stalls (a late timer, a descheduled thread) all lag.
		ideal := max(due, idealFree)
		lag := start - ideal
		err := r.call(ctx)
		end := r.clk.Now()
		idealFree = ideal + (end - start)
		if due >= r.ws {
			st.issued++
			st.lastDue, st.lastEnd = due, end
		}
		r.rec.record(due, start, end, lag, err != nil)
	}
}

// pace1 takes the pace lock, takes the next ticket and waits until it is
// due; ok is false when the run is over for this worker.
func (r *runner) pace1(st *workerStats) (due, start time.Duration, ok bool) {
	r.pace.Lock()
	defer r.pace.Unlock()
	select {
	case <-r.stop:
		return 0, 0, false
	default:
	}
	n := r.next
	due, ok = r.sched.Due(n)
	if !ok {
		return 0, 0, false // schedule exhausted; others may still run earlier tickets
	}
	r.next++
	if due >= r.ws && !r.windowOpen.Load() {
		// The window's instruments (profiles, hooks) must be running
		// before its first op starts. This is the one wait that is not
		// on the clock; it is over before ws unless onWindow is slow.
		select {
		case <-r.windowCh:
		case <-r.stop:
			return 0, 0, false
		}
	}
	start = r.clk.Now()
	if start < due {
		if r.probe != nil && due >= r.ws && due < r.we {
			r.probe.maybe(start, due)
		}
		coarse := r.pacer == PacerCoarse || (r.auto != nil && r.auto.next())
		start, ok = r.clk.SleepUntil(due, coarse, r.stop)
		if ok && coarse && r.auto != nil {
			r.auto.observe(start - due)
		}
		return due, start, ok
	}
	if start > due && r.overBacklog(n, start, st) {
		r.halt(stopBacklog, fmt.Sprintf("backlog reached max_backlog %d ops due but not started: the op cannot keep up with the rate", r.backlogLimit))
		return 0, 0, false
	}
	return due, start, true
}

func (r *runner) call(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.halt(stopPanic, fmt.Sprintf("op panicked: %v", p))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return r.do(ctx)
}

// overBacklog reports whether more than backlogLimit ops are due but not
// started at now, given that ticket n is the oldest of them; it also keeps
// the worker's largest backlog seen. It searches only when that could grow.
func (r *runner) overBacklog(n uint64, now time.Duration, st *workerStats) bool {
	due := func(i uint64) bool {
		d, ok := r.sched.Due(i)
		return ok && d <= now
	}
	if due(n + r.backlogLimit) {
		st.backlogPeak = max(st.backlogPeak, r.backlogLimit+1)
		return true
	}
	if !due(n + st.backlogPeak) {
		return false
	}
	// Tickets n..m-1 are due; find m in (n+backlogPeak, n+backlogLimit].
	lo, hi := n+st.backlogPeak+1, n+r.backlogLimit
	for lo < hi {
		m := lo + (hi-lo)/2
		if due(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	st.backlogPeak = lo - n
	return false
}

package driver

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// A clock is the runner's time source: monotonic offsets from a fixed origin.
// Tests substitute a simulated clock; the runner never reads time otherwise.
type clock interface {
	Now() time.Duration
	// SleepUntil returns the time once it is at or past t, or ok=false early
	// when stop is closed. A coarse sleep may end later than a fine one
	// (up to about a millisecond) but costs no wake-up of its own.
	SleepUntil(t time.Duration, coarse bool, stop <-chan struct{}) (now time.Duration, ok bool)
	// NewPaceLock returns the lock that makes one worker at a time the
	// pacer. It belongs to the clock because waiting for it is waiting for
	// time to pass: a simulated clock must count its waiters.
	NewPaceLock() sync.Locker
}

// A participant is a clock that needs to know how many goroutines use it: a
// simulated clock advances only when all of them are waiting on it.
type participant interface {
	enter()
	exit()
}

// Note: time.Sleep here wakes on a ~1 ms grid when the process has nothing
// else to do (a 10 µs sleep takes ~1.06 ms, a 1 ms sleep up to ~1.2 ms):
// Go's runtime waits for its timers in epoll with a timeout in whole
// milliseconds, and checks them whenever it schedules. So the pacer sleeps
// with time.Sleep until coarseWindow before its due time; then, where the
// OS offers a finer sleep (Linux: nanosleep, or a timerfd in the runtime's
// poller when GOMAXPROCS is 1, with 1 ns timer slack, overshooting
// ~25–70 µs), until the spin window (Config.Spin, -spin) before it; then
// spins. Spinning costs a core while an op is near due, but it is the only
// way to keep generator lag in microseconds at 100k ops/s. Only the pacer
// waits on the clock (see runner), so at most one goroutine spins: with
// every worker spinning for its own op, 32 HTTP workers at 5k req/s starved
// the client and server of CPU (P50 3.5 ms against 0.2 ms with one).
//
// A coarse sleep (Config.Pacer) is time.Sleep all the way. It adds no
// wake-up of its own: the pacer goes on when the runtime next looks at its
// timers, which with many requests in flight is soon (their responses keep
// waking it) and otherwise up to a millisecond late (see autoPacer). A fine
// sleep is a thread going to sleep and waking per op: on two shared cores,
// httpload spent 2–3 context switches per request sleeping finely against
// 0.5–0.9 sleeping coarsely (wrk2, whose timers have millisecond
// resolution: 0.3–0.7), and ~1.5–2× the CPU.
const (
	coarseWindow = 2 * time.Millisecond
	// DefaultSpin is the default spin window (Config.Spin): how close to
	// due the pacer stops the fine sleep and spins.
	DefaultSpin = 150 * time.Microsecond
	maxNap      = 20 * time.Millisecond  // bounds how late a sleeper notices stop
	yieldAbove  = 200 * time.Microsecond // without a fine sleep, spin without yielding only this close to due
)

// A realClock reads the monotonic clock.
type realClock struct {
	origin time.Time
	spin   time.Duration // fine-sleep until this close to due, then spin
	fine   *fineSleeper
}

func newRealClock(spin time.Duration) realClock {
	return realClock{origin: time.Now(), spin: spin, fine: newFineSleeper()}
}

// startAt waits until the wall clock reads t, or returns at once if it is
// past, and moves the origin to t: the schedule then runs from t whenever
// the process got there. late is how far past t the process was.
func (c *realClock) startAt(ctx context.Context, t time.Time) (late time.Duration, ok bool) {
	if d := time.Until(t); d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return 0, false
		}
	}
	now := time.Now()
	c.origin = now.Add(t.Sub(now)) // keeps now's monotonic reading, shifted
	return max(0, now.Sub(t)), true
}

// close releases what the fine sleeper holds.
func (c realClock) close() { c.fine.close() }

func (c realClock) Now() time.Duration { return time.Since(c.origin) }

func (realClock) NewPaceLock() sync.Locker { return new(lifoLock) }

// A lifoLock is a lock that, when contended, goes to the goroutine that
// asked for it last: the worker that finished most recently paces next.
//
// Note: with sync.Mutex (FIFO when contended) idle workers took turns, so
// at 5k req/s httpload spread requests over all 32 of its connections and
// their client and server goroutines, and request latency was 3–4× that of
// one connection. Last-in-first-out keeps the work on as few workers (and
// connections, and warm caches) as the load needs; idle ones stay idle.
type lifoLock struct {
	mu      sync.Mutex
	held    bool
	waiters []chan struct{} // a stack; each has room for one hand-over
	spare   []chan struct{}
}

func (l *lifoLock) Lock() {
	l.mu.Lock()
	if !l.held {
		l.held = true
		l.mu.Unlock()
		return
	}
	var ch chan struct{}
	if n := len(l.spare); n > 0 {
		ch, l.spare = l.spare[n-1], l.spare[:n-1]
	} else {
		ch = make(chan struct{}, 1)
	}
	l.waiters = append(l.waiters, ch)
	l.mu.Unlock()
	<-ch // the lock is handed over still held
	l.mu.Lock()
	l.spare = append(l.spare, ch)
	l.mu.Unlock()
}

func (l *lifoLock) Unlock() {
	l.mu.Lock()
	if n := len(l.waiters); n > 0 {
		ch := l.waiters[n-1]
		l.waiters = l.waiters[:n-1]
		l.mu.Unlock()
		ch <- struct{}{}
		return
	}
	l.held = false
	l.mu.Unlock()
}

func (c realClock) SleepUntil(t time.Duration, coarse bool, stop <-chan struct{}) (time.Duration, bool) {
	for {
		now := c.Now()
		rem := t - now
		switch {
		case rem <= 0:
			return now, true
		case coarse || rem > coarseWindow:
			select {
			case <-stop:
				return now, false
			default:
			}
			if !coarse {
				rem -= coarseWindow
			}
			time.Sleep(min(rem, maxNap))
		case haveFineSleep && rem > c.spin:
			c.fine.sleep(rem - c.spin)
		case !haveFineSleep && rem > yieldAbove:
			// Let other goroutines of this P (other workers, the interval
			// writer, the op's own helpers) run while we wait.
			runtime.Gosched()
		}
	}
}

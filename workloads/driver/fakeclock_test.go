package driver

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// A fakeClock simulates time for the goroutines that use it: time stands
// still while any of them runs and jumps to the earliest wake-up once all of
// them wait. Results are therefore exact and independent of the machine.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Duration
	active  int
	waiting waitHeap
	locked  int          // goroutines waiting for a pace lock
	coarse  atomic.Int64 // coarse sleeps asked for
	// coarseLate makes coarse sleeps end this late, as Go's timers do
	// when nothing else wakes the process.
	coarseLate time.Duration
}

// A fakeLock is a pace lock whose waiters the clock counts as waiting:
// they can only go on once the holder, itself waiting on the clock or
// running, lets go. Unlock hands the lock straight to the first waiter.
type fakeLock struct {
	c     *fakeClock
	held  bool
	queue []chan struct{}
}

func (c *fakeClock) NewPaceLock() sync.Locker { return &fakeLock{c: c} }

func (l *fakeLock) Lock() {
	c := l.c
	c.mu.Lock()
	if !l.held {
		l.held = true
		c.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	l.queue = append(l.queue, ch)
	c.locked++
	c.maybeAdvance()
	c.mu.Unlock()
	<-ch
}

func (l *fakeLock) Unlock() {
	c := l.c
	c.mu.Lock()
	if len(l.queue) > 0 {
		close(l.queue[0])
		l.queue = l.queue[1:]
		c.locked--
	} else {
		l.held = false
	}
	c.mu.Unlock()
}

type fakeWaiter struct {
	t    time.Duration
	wake chan struct{}
}

type waitHeap []*fakeWaiter

func (h waitHeap) Len() int           { return len(h) }
func (h waitHeap) Less(i, j int) bool { return h[i].t < h[j].t }
func (h waitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *waitHeap) Push(x any)        { *h = append(*h, x.(*fakeWaiter)) }
func (h *waitHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}

func (c *fakeClock) Now() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) enter() {
	c.mu.Lock()
	c.active++
	c.mu.Unlock()
}

func (c *fakeClock) exit() {
	c.mu.Lock()
	c.active--
	c.maybeAdvance()
	c.mu.Unlock()
}

func (c *fakeClock) SleepUntil(t time.Duration, coarse bool, stop <-chan struct{}) (time.Duration, bool) {
	if coarse {
		c.coarse.Add(1)
		t += c.coarseLate
	}
	c.mu.Lock()
	if c.now >= t {
		now := c.now
		c.mu.Unlock()
		return now, true
	}
	w := &fakeWaiter{t: t, wake: make(chan struct{})}
	heap.Push(&c.waiting, w)
	c.maybeAdvance()
	c.mu.Unlock()
	select {
	case <-w.wake:
		return c.Now(), true
	case <-stop:
		return c.Now(), false
	}
}

// Sleep is for simulated ops: they take d of simulated time.
func (c *fakeClock) Sleep(d time.Duration) { c.SleepUntil(c.Now()+d, false, nil) }

// Freeze jumps the clock by d without letting anyone run in between, as a
// stopped process or a global pause would.
func (c *fakeClock) Freeze(d time.Duration) {
	c.mu.Lock()
	c.now += d
	c.release()
	c.mu.Unlock()
}

func (c *fakeClock) maybeAdvance() {
	if c.active == 0 || len(c.waiting) == 0 || len(c.waiting)+c.locked < c.active {
		return
	}
	c.now = max(c.now, c.waiting[0].t)
	c.release()
}

func (c *fakeClock) release() {
	for len(c.waiting) > 0 && c.waiting[0].t <= c.now {
		close(heap.Pop(&c.waiting).(*fakeWaiter).wake)
	}
}

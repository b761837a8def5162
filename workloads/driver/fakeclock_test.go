package driver

import (
	"container/heap"
	"sync"
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

func (c *fakeClock) SleepUntil(t time.Duration, stop <-chan struct{}) (time.Duration, bool) {
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
func (c *fakeClock) Sleep(d time.Duration) { c.SleepUntil(c.Now()+d, nil) }

// Freeze jumps the clock by d without letting anyone run in between, as a
// stopped process or a global pause would.
func (c *fakeClock) Freeze(d time.Duration) {
	c.mu.Lock()
	c.now += d
	c.release()
	c.mu.Unlock()
}

func (c *fakeClock) maybeAdvance() {
	if c.active == 0 || len(c.waiting) < c.active {
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

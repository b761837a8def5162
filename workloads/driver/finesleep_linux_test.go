package driver

import (
	"runtime"
	"testing"
	"time"
)

// With one P the fine sleeper waits on a timerfd in the runtime's poller;
// it never wakes early, and a second sleeper at the same time (which the
// runner never has) falls back to nanosleep instead of stealing the first
// one's expiry.
func TestFineSleeperOneP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := newFineSleeper()
	if s == nil {
		t.Fatal("no timerfd sleeper with GOMAXPROCS=1")
	}
	defer s.close()
	done := make(chan time.Duration)
	for range 2 {
		go func() {
			var worst time.Duration
			for _, d := range []time.Duration{50 * time.Microsecond, 300 * time.Microsecond, 2 * time.Millisecond} {
				t0 := time.Now()
				s.sleep(d)
				worst = min(worst, time.Since(t0)-d)
			}
			done <- worst
		}()
	}
	for range 2 {
		select {
		case early := <-done:
			if early < 0 {
				t.Errorf("woke %v early", -early)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a sleeper never woke")
		}
	}
}

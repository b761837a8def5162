package driver

import (
	"testing"
	"time"
)

func TestAutoPacer(t *testing.T) {
	const ok, late = 10 * time.Microsecond, time.Millisecond
	type step struct {
		late   time.Duration // how late a coarse sleep ends (ignored for fine ones)
		n      int           // times
		coarse bool          // what next says each time
	}
	for _, tt := range []struct {
		name        string
		steps       []step
		wantBackoff uint64
	}{
		{"coarse sleeps that keep time stay coarse",
			[]step{{ok, 5000, true}}, autoBackoff0},
		{"a late one: fine for 2000 (1000 doubled: coarse failed at once), then coarse again",
			[]step{{late, 1, true}, {0, 2000, false}, {ok, 3, true}}, 2000},
		{"coarse fails again at once: the fine stretch doubles again",
			[]step{{late, 1, true}, {0, 2000, false}, {late, 1, true}, {0, 4000, false}, {ok, 1, true}}, 4000},
		{"coarse holds as long as the backoff: it resets",
			[]step{{ok, 10, true}, {late, 1, true}, {0, 2000, false}, {ok, 2000, true}, {late, 1, true}, {0, 1000, false}, {ok, 1, true}}, autoBackoff0},
	} {
		a := newAutoPacer()
		i := 0
		for _, s := range tt.steps {
			for range s.n {
				i++
				c := a.next()
				if c != s.coarse {
					t.Fatalf("%s: sleep %d: coarse %v; want %v", tt.name, i, c, s.coarse)
				}
				if c {
					a.observe(s.late)
				}
			}
		}
		if a.backoff != tt.wantBackoff {
			t.Errorf("%s: backoff %d; want %d", tt.name, a.backoff, tt.wantBackoff)
		}
	}
	a := newAutoPacer()
	for range 40 {
		a.next()
		a.observe(late)
		for a.fineLeft > 0 {
			a.next()
		}
	}
	if a.backoff != autoBackoffMax {
		t.Errorf("backoff after coarse failed 40 times in a row: %d; want the cap %d", a.backoff, autoBackoffMax)
	}
}

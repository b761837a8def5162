package driver

import "time"

// An autoPacer chooses, op by op, between a coarse sleep (Go's timers: no
// wake-up of its own) and a fine one (a thread's sleep and wake per op) for
// PacerAuto. It is pure: the runner tells it how late each coarse sleep
// ended.
//
// Coarse sleeps cost nothing but keep time only while something else wakes
// the process often, such as the responses of many requests in flight. So
// the pacer sleeps coarsely until one coarse sleep ends more than autoLate
// after its due time; then finely for backoff ops, and then tries coarse
// again. A coarse stretch that fails before backoff ops doubles the next
// fine stretch (up to autoBackoffMax), one that lasts resets it: at a low
// rate coarse sleeps fail at once, and one op in thousands pays for the
// try; at a high rate they hold, and the client costs the server little.
//
// Note: on two shared cores at 4000–5000 req/s, httpload used ~1.5–2× the
// CPU of wrk2 sleeping finely and about as much as wrk2 sleeping coarsely,
// whose lag was within tens of µs only at the higher rates.
type autoPacer struct {
	coarse    bool
	fineLeft  uint64 // fine sleeps before coarse is tried again
	coarseRun uint64 // coarse sleeps on time since coarse was last tried
	backoff   uint64
}

const (
	// autoLate is how late a coarse sleep may end and still count as on
	// time: about what a fine sleep overshoots.
	autoLate       = 100 * time.Microsecond
	autoBackoff0   = 1000
	autoBackoffMax = 1 << 17
)

func newAutoPacer() *autoPacer { return &autoPacer{coarse: true, backoff: autoBackoff0} }

// next says whether the next sleep is coarse.
func (a *autoPacer) next() bool {
	if !a.coarse {
		if a.fineLeft > 0 {
			a.fineLeft--
			return false
		}
		a.coarse, a.coarseRun = true, 0
	}
	return true
}

// observe takes how late a coarse sleep ended.
func (a *autoPacer) observe(late time.Duration) {
	if late <= autoLate {
		if a.coarseRun++; a.coarseRun == a.backoff {
			a.backoff = autoBackoff0 // coarse has held as long as the last fine stretch: start afresh
		}
		return
	}
	if a.coarseRun < a.backoff {
		a.backoff = min(2*a.backoff, autoBackoffMax)
	}
	a.coarse, a.fineLeft = false, a.backoff
}

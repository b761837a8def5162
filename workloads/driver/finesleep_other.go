//go:build !linux

package driver

import "time"

// Where the driver knows no sleep finer than time.Sleep, the pacer spins
// for the last coarseWindow before each due time.
const haveFineSleep = false

type fineSleeper struct{}

func newFineSleeper() *fineSleeper       { return nil }
func (*fineSleeper) sleep(time.Duration) {}
func (*fineSleeper) close()              {}

//go:build !linux

package driver

import "time"

// Where the driver knows no sleep finer than time.Sleep, the pacer spins
// for the last coarseWindow before each due time.
const haveFineSleep = false

func fineSleep(time.Duration) {}

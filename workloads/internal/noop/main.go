// Command noop is a fixed-rate workload whose op does nothing, for
// measuring the driver itself (scripts/driver-accuracy).
package main

import (
	"context"

	"github.com/perfharness/harness/workloads/driver"
)

func main() {
	driver.Main(driver.Ops{"noop": driver.Func(func(context.Context) error { return nil })})
}

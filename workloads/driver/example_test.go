package driver_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/perfharness/harness/workloads/driver"
)

// A schedule is pure: it says when each op is due.
func ExamplePlan_Due() {
	p, _ := driver.ParseSchedule("steps:1000,2000", 0, 2*time.Second)
	for _, n := range []uint64{0, 1, 1000, 1001, 2999, 3000} {
		d, ok := p.Due(n)
		fmt.Println(n, d, ok)
	}
	// Output:
	// 0 0s true
	// 1 1ms true
	// 1000 1s true
	// 1001 1.0005s true
	// 2999 1.9995s true
	// 3000 0s false
}

// Run is what Main does after parsing flags: here a no-op at 1000 ops/s for
// a fifth of a second.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "driver-example")
	defer os.RemoveAll(dir)
	cfg := driver.Config{
		Name: "demo", Op: "noop", Rate: 1000,
		Duration: 200 * time.Millisecond, Concurrency: 1, Out: dir,
	}
	noop := driver.Func(func(context.Context) error { return nil })
	res, err := driver.Run(context.Background(), cfg, noop)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Completed, "ops;", res.Files)
	// Output: 200 ops; [bench.txt latency.hlog result.json]
}

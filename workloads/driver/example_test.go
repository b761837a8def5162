package driver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/perfharness/harness/workloads/driver"
)

// A schedule is pure: it says when each op is due.
func ExampleRatePlan_Due() {
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

// bufferOp is an Op with setup and teardown: Setup reads a param and
// allocates what Do reuses; Teardown releases it.
type bufferOp struct{ buf []byte }

func (o *bufferOp) Setup(ctx context.Context, p driver.Params) error {
	n, err := p.Int("size", 4096)
	if err != nil {
		return err
	}
	o.buf = make([]byte, n)
	return nil
}

func (o *bufferOp) Do(ctx context.Context) error {
	clear(o.buf)
	return nil
}

func (o *bufferOp) Teardown() { o.buf = nil }

// A workload's main is one call: driver.Main(driver.Ops{...}). Command is
// Main without the process around it (flags from args, exit status
// returned), as the harness runs it: -op picks the op, -param feeds Setup.
func ExampleCommand() {
	dir, _ := os.MkdirTemp("", "driver-example")
	defer os.RemoveAll(dir)
	ops := driver.Ops{
		"buffer": &bufferOp{},
		"noop":   driver.Func(func(context.Context) error { return nil }),
	}
	code := driver.Command(context.Background(), ops, []string{
		"-op", "buffer", "-param", "size=65536", "-rate", "1000",
		"-duration", "200ms", "-warmup", "0s", "-concurrency", "1", "-out", dir,
	}, io.Discard, io.Discard)
	res, _ := os.ReadFile(filepath.Join(dir, "result.json"))
	fmt.Println("exit", code, "op", resultOp(res))
	// Output: exit 0 op buffer
}

// resultOp reads the op name back from result.json.
func resultOp(data []byte) string {
	var r struct {
		Op string `json:"op"`
	}
	json.Unmarshal(data, &r)
	return r.Op
}

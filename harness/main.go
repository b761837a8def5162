// Command harness benchmarks and load-tests Go code across a matrix of
// toolchains, GOEXPERIMENTs, build flags and run-time environments.
//
// main is wiring only: signals in, exit code out. See package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/perfharness/harness/harness/cli"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	soft := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		close(soft) // first: finish the run in progress, keep results, stop
		<-sigs
		cancel() // second: stop now, killing workload process groups
	}()
	code := cli.Run(cli.WithSoftStop(ctx, soft), os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// Command archcheck checks the shape of the harness's Go code and prints
// what it measured: the command line stays a shell (harness/cli's non-test
// code at most 1,500 lines, no function longer than 60), each rule lives in
// one place (one median, one result.json and server.json reader, one
// bench-line parser, one shard predicate, one status type), the package
// import graph only points down the pipeline's layers, and package docs
// describe the imports they claim. It exits 1 on a violation.
//
//	go run ./scripts/archcheck        # from the repository root
//
// Its test (go test ./scripts/archcheck) runs the same checks on the tree.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	r, err := check(*root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "archcheck: %v\n", err)
		os.Exit(2)
	}
	r.print(os.Stdout)
	if len(r.Problems) > 0 {
		os.Exit(1)
	}
}

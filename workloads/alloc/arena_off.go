//go:build !goexperiment.arenas

package main

import "github.com/perfharness/harness/workloads/driver"

// addArenaOp adds nothing: go-arena needs GOEXPERIMENT=arenas.
func addArenaOp(driver.Ops) {}

//go:build !cgo

package main

import "github.com/perfharness/harness/workloads/driver"

// addCgoOp adds nothing: cgo-malloc needs cgo.
func addCgoOp(driver.Ops) {}

// mallocAddr is unknown without cgo.
func mallocAddr() (uintptr, bool) { return 0, false }

//go:build !goexperiment.jsonv2

package main

import "github.com/perfharness/harness/workloads/driver"

// addV2Ops adds nothing: the v2 ops need GOEXPERIMENT=jsonv2.
func addV2Ops(driver.Ops) {}

//go:build brokenbuild

package main

// This file exists to fail the build when the "brokenbuild" tag is set: a
// build-failed cell beside healthy ones.
var _ = undefinedOnPurpose

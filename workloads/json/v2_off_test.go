//go:build !goexperiment.jsonv2

package main

const jsonv2On = false

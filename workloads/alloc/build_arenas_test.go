//go:build goexperiment.arenas

package main

const arenasOn = true

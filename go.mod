module github.com/perfharness/harness

go 1.26

require (
	github.com/klauspost/cpuid/v2 v2.4.2
	go.yaml.in/yaml/v3 v3.0.6
)

require golang.org/x/sys v0.41.0 // indirect

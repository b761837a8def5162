module github.com/perfharness/harness/workloads

go 1.23

module github.com/perfharness/harness

go 1.26

package host_test

import (
	"fmt"

	"github.com/perfharness/harness/harness/host"
)

func ExampleCanonicalFeature() {
	for _, name := range []string{"adx", "Avx512F", "sha_ni"} {
		canon, ok := host.CanonicalFeature(name)
		fmt.Printf("%s -> %q %v\n", name, canon, ok)
	}
	// Output:
	// adx -> "ADX" true
	// Avx512F -> "AVX512F" true
	// sha_ni -> "" false
}

func ExampleCPU_SupportsGOAMD64() {
	f := host.Fingerprint{CPU: host.CPU{Arch: "amd64", GOAMD64: "v3", Features: []string{"ADX", "AVX2"}}}
	for _, level := range []string{"v2", "v3", "v4"} {
		fmt.Println(level, f.SupportsGOAMD64(level))
	}
	fmt.Println("adx", f.Has("adx"))
	// Output:
	// v2 true
	// v3 true
	// v4 false
	// adx true
}

func ExampleCompare() {
	a := host.Fingerprint{CPU: host.CPU{Arch: "amd64", GOAMD64: "v4", Features: []string{"AVX2", "AVX512F"}}}
	b := host.Fingerprint{CPU: host.CPU{Arch: "amd64", GOAMD64: "v3", Features: []string{"AVX2"}}}
	for _, d := range host.Compare(a, b) {
		fmt.Println(d)
	}
	// Output:
	// features only on a: AVX512F
	// GOAMD64: "v4" vs "v3"
}

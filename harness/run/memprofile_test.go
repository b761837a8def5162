package run

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"testing"

	"github.com/google/pprof/profile"
)

// allocsProfileBytes is the allocs profile this process writes, as go
// test -memprofile does.
func allocsProfileBytes(t testing.TB) []byte {
	t.Helper()
	runtime.GC()
	var b bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&b, 0); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The heap profile made from go test's allocs profile is what
// pprof.Lookup("heap") writes: the same samples, no default sample type;
// the allocs profile's default is alloc_space. google/pprof is the oracle.
func TestHeapFromAllocs(t *testing.T) {
	allocs := allocsProfileBytes(t)
	heap, err := heapFromAllocs(allocs)
	if err != nil {
		t.Fatal(err)
	}
	a, err := profile.ParseData(allocs)
	if err != nil {
		t.Fatal(err)
	}
	h, err := profile.ParseData(heap)
	if err != nil {
		t.Fatalf("the heap profile does not parse: %v", err)
	}
	if a.DefaultSampleType != "alloc_space" || h.DefaultSampleType != "" {
		t.Errorf("default sample types: allocs %q, heap %q; want alloc_space and none", a.DefaultSampleType, h.DefaultSampleType)
	}
	var ref bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&ref, 0); err != nil {
		t.Fatal(err)
	}
	r, err := profile.ParseData(ref.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if h.DefaultSampleType != r.DefaultSampleType {
		t.Errorf("runtime's heap profile has default %q, ours %q", r.DefaultSampleType, h.DefaultSampleType)
	}
	a.DefaultSampleType = ""
	if a.String() != h.String() {
		t.Errorf("the samples changed:\n%s\nvs\n%s", a, h)
	}
}

func TestMemProfiles(t *testing.T) {
	allocs := allocsProfileBytes(t)
	for _, tc := range []struct {
		heap, allocs bool
		want         []string
		why          string
	}{
		{true, false, []string{"heap.pprof"}, "heap asked for: heap.pprof only"},
		{false, true, []string{"allocs.pprof"}, "allocs asked for: go test's file as it is"},
		{true, true, []string{"allocs.pprof", "heap.pprof"}, "both"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, allocsProfile), allocs, 0o644)
		if err := memProfiles(dir, tc.heap, tc.allocs); err != nil {
			t.Fatal(err)
		}
		var got []string
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			got = append(got, e.Name())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: files %v, want %v", tc.why, got, tc.want)
		}
	}
	if err := memProfiles(t.TempDir(), true, false); err != nil {
		t.Errorf("no profile written (no benchmark ran) is not an error: %v", err)
	}
}

func FuzzHeapFromAllocs(f *testing.F) {
	f.Add(allocsProfileBytes(f))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, gz []byte) {
		out, err := heapFromAllocs(gz)
		if err != nil {
			return
		}
		// What came in as a profile goes out as one, minus its default.
		in, err := profile.ParseData(gz)
		if err != nil {
			return
		}
		p, err := profile.ParseData(out)
		if err != nil {
			t.Fatalf("a profile became unreadable: %v", err)
		}
		if p.DefaultSampleType != "" {
			t.Fatalf("default sample type kept: %q", p.DefaultSampleType)
		}
		in.DefaultSampleType = ""
		if in.String() != p.String() {
			t.Fatalf("samples changed")
		}
	})
}

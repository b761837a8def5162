package main

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/perfharness/harness/workloads/driver"
)

func setup(t *testing.T, params map[string]string) *requestOp {
	t.Helper()
	o := &requestOp{}
	if err := o.Setup(context.Background(), driver.NewParams(params, 1)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Teardown)
	return o
}

func TestRequest(t *testing.T) {
	o := setup(t, map[string]string{"cache_mb": "2", "request_kb": "16", "churn": "0.01"})
	rep := o.Report().(opReport)
	if want := 2 << 20 / entryBytes; rep.CacheEntries != want || rep.ReplacedPerOp != (want+50)/100 {
		t.Errorf("report %+v; want %d entries, 1%% of them replaced per op", rep, want)
	}
	if rep.RequestBytes < 16<<10 || rep.RequestBytes > 17<<10 {
		t.Errorf("request of %d bytes; want about 16 KiB", rep.RequestBytes)
	}
	if rep.LiveHeapSetupB < 2<<20 {
		t.Errorf("live heap after setup %d B; want at least the 2 MiB cache", rep.LiveHeapSetupB)
	}
	before := map[uint64]bool{}
	for i := range o.cache {
		before[o.cache[i].Load().key] = true
	}
	for range 20 {
		if err := o.Do(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	replaced := 0
	for i := range o.cache {
		e := o.cache[i].Load()
		if err := e.check(); err != nil {
			t.Error(err)
		}
		if !before[e.key] {
			replaced++
		}
	}
	// 20 ops replace 20 × 1% of the slots, some of them twice.
	if max := 20 * rep.ReplacedPerOp; replaced == 0 || replaced > max {
		t.Errorf("%d entries replaced after 20 ops; want some, at most %d", replaced, max)
	}
}

func TestRequestConcurrent(t *testing.T) {
	o := setup(t, map[string]string{"cache_mb": "1", "request_kb": "4", "churn": "0.05"})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if err := o.Do(context.Background()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCorruptEntryIsAnError(t *testing.T) {
	o := setup(t, map[string]string{"cache_mb": "1", "request_kb": "1", "churn": "1"})
	for i := range o.cache {
		o.cache[i].Load().items[0].data[0]++
	}
	if err := o.Do(context.Background()); err == nil || !strings.Contains(err.Error(), "cache entry") {
		t.Errorf("Do over a corrupted cache: %v; want a cache entry error", err)
	}
}

func TestNoChurn(t *testing.T) {
	o := setup(t, map[string]string{"cache_mb": "1", "request_kb": "1", "churn": "0"})
	if err := o.Do(context.Background()); err != nil || o.replace != 0 {
		t.Errorf("churn=0: err %v, %d replaced per op; want none", err, o.replace)
	}
}

func TestParams(t *testing.T) {
	for _, tt := range []struct{ key, val string }{
		{"request_kb", "0"}, {"request_kb", "big"}, {"cache_mb", "-1"}, {"churn", "1.5"}, {"churn", "NaN"},
	} {
		o := &requestOp{}
		err := o.Setup(context.Background(), driver.NewParams(map[string]string{tt.key: tt.val}, 1))
		if err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("%s=%s: %v; want an error naming the param", tt.key, tt.val, err)
		}
	}
}

// BenchmarkRequest runs the op closed loop with the default parameters.
func BenchmarkRequest(b *testing.B) {
	o := &requestOp{}
	if err := o.Setup(context.Background(), driver.NewParams(nil, 1)); err != nil {
		b.Fatal(err)
	}
	defer o.Teardown()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := o.Do(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

package driver

import (
	"os"
	"path/filepath"
	"strconv"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// progressFile is rewritten after every complete second of the measured
// window, for live displays (the harness shows the current rate and P99
// while a run goes on). It is not a result: result.json is.
const progressFile = "progress.json"

// progressWriter returns the recorder's interval callback that keeps
// progress.json in dir current: {"interval":N,"completed":N,"rate":R,
// "p50_ns":N,"p99_ns":N,"max_ns":N}, the last three for that second's
// intended-start latencies. It reuses one buffer: the window should not pay
// for its own progress report.
func progressWriter(dir string) func(int, uint64, uint64, *hdr.Histogram) {
	path := filepath.Join(dir, progressFile)
	tmp := filepath.Join(dir, "."+progressFile+".tmp")
	buf := make([]byte, 0, 256)
	return func(index int, doneTotal, done uint64, h *hdr.Histogram) {
		buf = append(buf[:0], `{"interval":`...)
		buf = strconv.AppendInt(buf, int64(index+1), 10)
		buf = append(buf, `,"completed":`...)
		buf = strconv.AppendUint(buf, doneTotal, 10)
		buf = append(buf, `,"rate":`...)
		buf = strconv.AppendUint(buf, done, 10)
		buf = append(buf, `,"p50_ns":`...)
		buf = strconv.AppendInt(buf, h.ValueAtQuantile(50), 10)
		buf = append(buf, `,"p99_ns":`...)
		buf = strconv.AppendInt(buf, h.ValueAtQuantile(99), 10)
		buf = append(buf, `,"max_ns":`...)
		buf = strconv.AppendInt(buf, h.Max(), 10)
		buf = append(buf, "}\n"...)
		if os.WriteFile(tmp, buf, 0o644) == nil {
			os.Rename(tmp, path)
		}
	}
}

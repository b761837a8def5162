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
// intended-start latencies.
//
// Note: the file is opened once and rewritten in place (write at offset 0,
// then truncate) into one reused buffer, so the window pays no allocation
// for its own progress report; a temporary file and a rename per second
// showed up in the B/op of light ops. A reader may catch a half-written
// line: it is a display, and readers skip what does not parse.
// The returned close releases the file once the recorder is closed.
func progressWriter(dir string) (write func(int, uint64, uint64, *hdr.Histogram), close func()) {
	f, err := os.OpenFile(filepath.Join(dir, progressFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, func() {}
	}
	buf := make([]byte, 0, 256)
	close = func() { f.Close() }
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
		if _, err := f.WriteAt(buf, 0); err == nil {
			f.Truncate(int64(len(buf)))
		}
	}, close
}

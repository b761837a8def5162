package results

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ShownStatus is the status to show for a run: the manifest's, except that
// a run still marked running whose harness is gone — killed with SIGKILL,
// or its machine rebooted — is abandoned. The next harness run on the host
// records that in the manifest itself; until then a listing must not call
// it running. hostname is this host's name (os.Hostname).
func ShownStatus(m *Manifest, hostname string) Status {
	if m.Status == RunRunning && harnessGone(m, hostname) {
		return RunAbandoned
	}
	return m.Status
}

// harnessGone reports whether the harness that wrote a running manifest is
// certainly not running: the run is from this host and its pid is not a live
// process, or is one that started after the run did (the pid was reused).
// A run from another host cannot be judged from here.
func harnessGone(m *Manifest, hostname string) bool {
	if m.PID <= 0 || hostname == "" || m.Host.Hostname != hostname {
		return false
	}
	if err := syscall.Kill(m.PID, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	started, ok := processStart(m.PID)
	// The harness starts a while before it writes the manifest; a process
	// that started after the run it is supposed to be running is another.
	return ok && !m.Started.IsZero() && started.After(m.Started.Add(2*time.Second))
}

// processStart returns when a process started, from /proc (Linux); ok is
// false elsewhere or when it cannot be read.
func processStart(pid int) (time.Time, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, false
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// starttime is field 22, the 20th after the closing parenthesis.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return time.Time{}, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	boot, ok := bootTime()
	if !ok {
		return time.Time{}, false
	}
	// USER_HZ is 100 on every Linux architecture Go supports.
	return boot.Add(time.Duration(ticks) * (time.Second / 100)), true
}

func bootTime() (time.Time, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(sec, 0), err == nil
		}
	}
	return time.Time{}, false
}

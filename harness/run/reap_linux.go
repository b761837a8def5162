package run

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Note: killing a run's process group reaches only what stayed in the
// group; a grandchild that calls setsid (or setpgid) leaves it, and once
// its parent exits the kernel hands it to the nearest "child subreaper"
// ancestor, or to init. So the harness makes itself a child subreaper: every
// orphaned descendant of a workload becomes the harness's own child. When a
// process ends, the harness lists its own children it did not start (no
// pidfd of the Go runtime refers to them) that started after the process
// did, kills and reaps them, and repeats until none is left (killing one
// hands its children over in turn). Being a subreaper is a property of the
// whole harness process, set once: the one piece of process-wide state here.

var subreaper = sync.OnceValue(func() error {
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return errno
	}
	return nil
})

// becomeSubreaper makes the harness the reaper of its orphaned descendants.
func becomeSubreaper() error { return subreaper() }

// A procStat is what /proc/<pid>/stat says of a process.
type procStat struct {
	pid, ppid int
	comm      string
	state     byte
	start     uint64 // clock ticks after boot
}

func readStat(pid int) (procStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	open, close := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || close < open {
		return procStat{}, errors.New("malformed stat")
	}
	f := strings.Fields(string(data[close+1:]))
	if len(f) < 20 {
		return procStat{}, errors.New("malformed stat")
	}
	st := procStat{pid: pid, comm: string(data[open+1 : close]), state: f[0][0]}
	st.ppid, _ = strconv.Atoi(f[1])
	st.start, _ = strconv.ParseUint(f[19], 10, 64)
	return st, nil
}

// startTicks returns when process pid started, in /proc's clock ticks.
func startTicks(pid int) uint64 {
	st, err := readStat(pid)
	if err != nil {
		return 0
	}
	return st.start
}

// procTree lists every process, by parent.
func procTree() map[int][]procStat {
	entries, _ := os.ReadDir("/proc")
	out := map[int][]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil {
			out[st.ppid] = append(out[st.ppid], st)
		}
	}
	return out
}

// startedHere returns the pids the harness's own pidfds refer to, but for
// the descriptor except: the children os/exec started and has not finished
// waiting for.
func startedHere(except int) map[int]bool {
	pids := map[int]bool{}
	entries, _ := os.ReadDir("/proc/self/fdinfo")
	for _, e := range entries {
		if e.Name() == strconv.Itoa(except) {
			continue
		}
		data, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "Pid:"); ok {
				if pid, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && pid > 0 {
					pids[pid] = true
				}
			}
		}
	}
	return pids
}

// reapOrphans kills and reaps the processes left behind by a process that
// started at start (clock ticks) in process group pgid: the rest of its
// group, and every orphaned descendant handed to the harness, with their
// own descendants. It returns those found running, and those it could not
// stop within the deadline.
func reapOrphans(pgid int, start uint64) (killed, left []Orphan) {
	if subreaper() != nil {
		syscall.Kill(-pgid, syscall.SIGKILL)
		return nil, nil
	}
	self := os.Getpid()
	seen := map[int]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for {
		byParent := procTree()
		var orphans []procStat
		for _, c := range byParent[self] {
			if c.start >= start && isOrphan(c, self) {
				orphans = append(orphans, c)
			}
		}
		// Name everything still running — the orphans and what they
		// started — before anything is killed.
		var tree []procStat
		var walk func(ps []procStat)
		walk = func(ps []procStat) {
			for _, p := range ps {
				tree = append(tree, p)
				if len(tree) < 100000 {
					walk(byParent[p.pid])
				}
			}
		}
		walk(orphans)
		for _, p := range tree {
			if p.state != 'Z' && !seen[p.pid] {
				seen[p.pid] = true
				killed = append(killed, Orphan{PID: p.pid, Comm: p.comm})
			}
		}
		syscall.Kill(-pgid, syscall.SIGKILL)
		if len(orphans) == 0 {
			return killed, nil
		}
		if time.Now().After(deadline) {
			for _, p := range tree {
				if p.state != 'Z' {
					left = append(left, Orphan{PID: p.pid, Comm: p.comm})
				}
			}
			return killed, left
		}
		for _, p := range tree {
			if p.ppid != self {
				kill(p.pid) // not ours to reap: its parent, or the harness later, reaps it
			}
		}
		for _, c := range orphans {
			killAndReap(c.pid, deadline)
		}
	}
}

// isOrphan reports whether c, listed as a child of the harness (self), is
// one the harness did not start: a process another goroutine's os/exec runs
// holds a pidfd from its clone until its Wait has reaped it. The listing is
// a moment old, so c is pinned first (a pidfd of our own), then checked
// against os/exec's pidfds, then found again with its start time: a child
// reaped by its Wait in between is gone by the last check (or its pid names
// a process with another start), so a command started by a build or a
// concurrent run is never taken for an orphan.
func isOrphan(c procStat, self int) bool {
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(c.pid), 0, 0)
	if errno != 0 {
		return false // gone
	}
	defer syscall.Close(int(fd))
	if startedHere(int(fd))[c.pid] {
		return false
	}
	st, err := readStat(c.pid)
	return err == nil && st.ppid == self && st.start == c.start
}

// kill sends SIGKILL through a pidfd.
func kill(pid int) {
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno != 0 {
		return
	}
	syscall.Syscall6(sysPidfdSendSignal, fd, uintptr(syscall.SIGKILL), 0, 0, 0, 0)
	syscall.Close(int(fd))
}

// killAndReap kills a child of the harness through a pidfd (no pid reuse
// can redirect it) and waits for it to be gone, at most until deadline.
func killAndReap(pid int, deadline time.Time) {
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno != 0 {
		return // gone already
	}
	defer syscall.Close(int(fd))
	// Still ours? A pid freed and reused between the listing and the open
	// would name another process.
	if st, err := readStat(pid); err != nil || st.ppid != os.Getpid() {
		return
	}
	syscall.Syscall6(sysPidfdSendSignal, fd, uintptr(syscall.SIGKILL), 0, 0, 0, 0)
	for {
		var info [128]byte // siginfo_t
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPidfd, fd, uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|syscall.WNOHANG, 0, 0)
		pidField := *(*int32)(unsafe.Pointer(&info[16])) // si_pid: 0 while it has not exited
		if errno != 0 || pidField != 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

const (
	sysPidfdOpen       = 434
	sysPidfdSendSignal = 424
	pPidfd             = 3 // P_PIDFD for waitid
)

package driver

import (
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// prSetTimerslack is prctl's PR_SET_TIMERSLACK.
const prSetTimerslack = 29

const haveFineSleep = true

// A fineSleeper sleeps for short times with microsecond precision, where Go's
// timers would wake up to a millisecond late.
//
// With GOMAXPROCS above 1 it calls nanosleep with a timer slack of 1 ns on
// the current thread: the thread blocks in the system call and the Go
// scheduler runs other goroutines on the other Ps meanwhile. The slack is
// set on each call because the goroutine may have moved to another thread;
// leaving it at 1 ns on runtime threads only makes their timers more
// precise.
//
// With GOMAXPROCS 1 a thread blocked in nanosleep holds the only P until
// the runtime's monitor takes it back (20 µs to 10 ms later): httpload's
// responses waited behind it (P50 1–4 ms instead of 0.2 ms at 4000 req/s).
// So it arms a timerfd and waits for it in the runtime's poller, like a
// socket: the P runs other goroutines, and epoll wakes at the timer's
// expiry (hrtimer precision) rather than on its millisecond timeout.
type fineSleeper struct {
	mu  sync.Mutex // one sleeper at a time on the timerfd; others nanosleep
	fd  int
	f   *os.File
	buf [8]byte
}

func newFineSleeper() *fineSleeper {
	if runtime.GOMAXPROCS(0) > 1 {
		return nil
	}
	fd, _, errno := syscall.RawSyscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return nil
	}
	// A non-blocking descriptor is registered with the runtime's poller.
	return &fineSleeper{fd: int(fd), f: os.NewFile(fd, "timerfd")}
}

const clockMonotonic = 1

type itimerspec struct{ interval, value syscall.Timespec }

func (s *fineSleeper) sleep(d time.Duration) {
	if s == nil || !s.mu.TryLock() {
		nanosleep(d)
		return
	}
	defer s.mu.Unlock()
	its := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_TIMERFD_SETTIME, uintptr(s.fd), 0, uintptr(unsafe.Pointer(&its)), 0, 0, 0); errno != 0 {
		nanosleep(d)
		return
	}
	if _, err := s.f.Read(s.buf[:]); err != nil {
		nanosleep(d) // closed under us: the run is over
	}
}

func (s *fineSleeper) close() {
	if s != nil {
		s.f.Close()
	}
}

func nanosleep(d time.Duration) {
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerslack, 1, 0)
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Nanosleep(&ts, nil)
}

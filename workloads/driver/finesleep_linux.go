package driver

import (
	"syscall"
	"time"
)

// prSetTimerslack is prctl's PR_SET_TIMERSLACK.
const prSetTimerslack = 29

const haveFineSleep = true

// fineSleep sleeps for d on the current OS thread with a timer slack of
// 1 ns, so it wakes within tens of microseconds instead of on the Go
// runtime's ~1 ms timer grid. The thread blocks in the system call; the Go
// scheduler runs other goroutines meanwhile. The slack is set on each call
// because the goroutine may have moved to another thread; leaving it at
// 1 ns on runtime threads only makes their timers more precise.
func fineSleep(d time.Duration) {
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerslack, 1, 0)
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Nanosleep(&ts, nil)
}

//go:build unix

package build

import (
	"context"
	"io/fs"
	"os/exec"
	"syscall"
	"time"
)

// command returns the go command, run without a shell in its own process
// group, so that cancelling ctx kills it with the compilers and linkers it
// started.
func command(ctx context.Context, bin string, args []string, dir string, env []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// sysStamp returns the change time, inode and device of a file.
func sysStamp(fi fs.FileInfo) (ctimeNs int64, inode, dev uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return ctimeOf(st), uint64(st.Ino), uint64(st.Dev)
}

//go:build !unix

package build

import (
	"context"
	"io/fs"
	"os/exec"
	"time"
)

// command returns the go command, run without a shell; cancelling ctx kills
// it.
func command(ctx context.Context, bin string, args []string, dir string, env []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// sysStamp has nothing beyond size and modification time to add here; the
// toolchain memo then trusts those.
func sysStamp(fi fs.FileInfo) (ctimeNs int64, inode, dev uint64) { return 0, 0, 0 }

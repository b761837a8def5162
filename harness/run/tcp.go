package run

import (
	"bufio"
	"context"
	"os"
	"strings"
	"time"
)

// timeWaitSockets counts TCP sockets in TIME_WAIT (state 06) on this host,
// IPv4 and IPv6. Between http runs the harness waits for them to drain: a
// run that starts with thousands of ports in TIME_WAIT measures the kernel's
// port allocator, not the server.
func timeWaitSockets() (int, error) {
	n := 0
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		file, err := os.Open(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return 0, err
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 3 && fields[3] == "06" {
				n++
			}
		}
		file.Close()
	}
	return n, nil
}

// drainTimeWait waits until at most limit sockets are in TIME_WAIT or max
// has passed, and returns how many remained.
func drainTimeWait(ctx context.Context, limit int, max time.Duration) int {
	deadline := time.Now().Add(max)
	for {
		n, err := timeWaitSockets()
		if err != nil || n <= limit || time.Now().After(deadline) {
			return n
		}
		select {
		case <-ctx.Done():
			return n
		case <-time.After(200 * time.Millisecond):
		}
	}
}

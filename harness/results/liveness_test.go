package results

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestShownStatus(t *testing.T) {
	hostname, _ := os.Hostname()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true command")
	}
	tests := []struct {
		status  Status
		pid     int
		host    string
		started time.Time
		want    Status
		why     string
	}{
		{RunRunning, os.Getpid(), hostname, time.Now(), RunRunning, "its harness is alive"},
		{RunRunning, gone.Process.Pid, hostname, time.Now(), RunAbandoned, "its harness is gone (SIGKILL)"},
		{RunRunning, 1, hostname, time.Unix(1, 0), RunAbandoned, "its pid is now a process that started after the run"},
		{RunRunning, gone.Process.Pid, "elsewhere", time.Now(), RunRunning, "another host's pids mean nothing here"},
		{RunComplete, gone.Process.Pid, hostname, time.Now(), RunComplete, "only running is judged"},
	}
	for _, tt := range tests {
		m := &Manifest{Status: tt.status, PID: tt.pid, Started: tt.started}
		m.Host.Hostname = tt.host
		if got := ShownStatus(m, hostname); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.why, got, tt.want)
		}
	}
}

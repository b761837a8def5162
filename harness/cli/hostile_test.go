package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/perfharness/harness/harness/report"
	"github.com/perfharness/harness/harness/results"
)

// rawControl finds a character that must not reach a terminal or a text
// report raw: a control character other than newline and tab, a bidi
// override, or invalid UTF-8.
func rawControl(s string) (string, bool) {
	for i, r := range s {
		_, size := utf8.DecodeRuneInString(s[i:])
		bad := r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029 ||
			r == utf8.RuneError && size == 1
		if bad {
			return s[max(0, i-20):min(len(s), i+20)], true
		}
	}
	return "", false
}

// editManifest rewrites the manifest of a results folder.
func editManifest(t *testing.T, dir string, edit func(m *results.Manifest)) {
	t.Helper()
	d, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.ReadManifest()
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
}

// TestHostileStrings gives every command that prints or writes text a
// results folder whose manifest carries terminal escape sequences, carriage
// returns, bidi overrides and bytes that are not UTF-8 in every string a
// person reads: nothing of it may come out raw, on stdout, stderr, or in a
// report file.
func TestHostileStrings(t *testing.T) {
	const evil = "\x1b]0;owned\x07\x1b[2J\rCLEAN\u202e\xff\u009b31m"
	root := t.TempDir()
	base := fakeRun(t, root, "base", day0, "h1", 1, ok("spin", 70000), ok("other", 5000))
	cand := fakeRun(t, root, "cand", day0.Add(time.Hour), "h1", 2, ok("spin", 90000), ok("other", 5000))
	for _, dir := range []string{base, cand} {
		editManifest(t, dir, func(m *results.Manifest) {
			m.Name += evil
			m.Reason = "reason" + evil
			m.Host.ID += evil
			m.Host.Brand += evil
			m.Warnings = append(m.Warnings, "warning"+evil)
			m.Status = results.RunIncomplete
			for _, c := range m.Cells {
				c.Reason = "cell reason" + evil + "\nsecond line" + evil
				for i := range c.Config {
					c.Config[i].Value += evil
				}
				for _, r := range c.Runs {
					r.Warnings = append(r.Warnings, "run warning"+evil)
				}
			}
		})
	}
	// A run id is a folder name when the harness makes it; the manifest of
	// a folder from elsewhere can say anything.
	odd := fakeRun(t, root, "odd", day0.Add(2*time.Hour), "h1", 3, ok("spin", 70000))
	editManifest(t, odd, func(m *results.Manifest) { m.RunID += evil; m.Shard = "1/2" + evil })

	reports := t.TempDir()
	for _, args := range [][]string{
		{"results", "list", "--results", root},
		{"results", "list", "--results", root, "--json"},
		{"report", cand, "--reports", reports, "--no-png"},
		{"compare", base, cand},
		{"compare", base, cand, "--format", "md"},
		{"compare", base, cand, "--format", "csv"},
		{"gate", "--baseline", base, "--candidate", cand, "--out", filepath.Join(reports, "gate"), "--allow-host-mismatch"},
		{"export", cand},
		{"export", cand, "--format", "json"},
		{"trend", base, cand, "--out", filepath.Join(reports, "trend")},
	} {
		code, stdout, stderr := harness(t, args...)
		if code == ExitUsage {
			t.Errorf("harness %s: usage error: %s", strings.Join(args, " "), stderr)
		}
		for name, out := range map[string]string{"stdout": stdout, "stderr": stderr} {
			if at, bad := rawControl(out); bad {
				t.Errorf("harness %s: raw control character on %s near %q", strings.Join(args, " "), name, at)
			}
		}
	}
	filepath.Walk(reports, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".md", ".txt", ".csv":
			data, _ := os.ReadFile(path)
			if at, bad := rawControl(string(data)); bad {
				t.Errorf("%s: raw control character near %q", path, at)
			}
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(reports, "cand", report.TextFile)); err != nil {
		t.Errorf("the report was not written: %v", err)
	}
}

// TestResultsListAbandoned: a run whose manifest still says running but
// whose harness was killed (its pid is gone) is listed as abandoned; one
// whose harness is alive, as running.
func TestResultsListAbandoned(t *testing.T) {
	root := t.TempDir()
	hostname, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command")
	}
	for _, tc := range []struct {
		id  string
		pid int
	}{{"killed", dead.Process.Pid}, {"alive", os.Getpid()}} {
		dir := fakeRun(t, root, tc.id, time.Now(), "h1", 1, ok("spin", 70000))
		editManifest(t, dir, func(m *results.Manifest) {
			m.Status, m.PID, m.Host.Hostname = results.RunRunning, tc.pid, hostname
		})
	}
	_, stdout, stderr := harness(t, "results", "list", "--results", root)
	for _, want := range []string{"killed", "alive"} {
		var line string
		for _, l := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(l, want) {
				line = l
			}
		}
		status := map[string]string{"killed": "abandoned", "alive": "running"}[want]
		if !strings.Contains(line, " "+status+" ") {
			t.Errorf("%s: %q, want %s\n%s%s", want, line, status, stdout, stderr)
		}
	}
}

package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeBinary writes an executable script standing for a workload binary.
func fakeBinary(t *testing.T, script string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "workload")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestListOps(t *testing.T) {
	env := []string{"PATH=/usr/bin:/bin"}
	l, err := listOps(context.Background(), fakeBinary(t, `echo '{"protocol":1,"ops":["a","b"],"max_rate":1e9}'`), env)
	if err != nil || !reflect.DeepEqual(l.Ops, []string{"a", "b"}) || l.MaxRate != 1e9 {
		t.Errorf("a driver's answer: %+v, %v", l, err)
	}
	// A main of its own, or a driver older than the flag: the flag package's
	// own complaint, exit 2.
	_, err = listOps(context.Background(), fakeBinary(t, `echo "flag provided but not defined: -list-ops" >&2; exit 2`), env)
	if !errors.Is(err, errNoListOps) {
		t.Errorf("a binary without -list-ops: %v, want errNoListOps", err)
	}
	_, err = listOps(context.Background(), fakeBinary(t, `echo hello`), env)
	if err == nil || !strings.Contains(err.Error(), "not an op list") {
		t.Errorf("an answer that is not JSON: %v", err)
	}
	_, err = listOps(context.Background(), fakeBinary(t, `echo "panic: boom" >&2; exit 2`), env)
	if err == nil || errors.Is(err, errNoListOps) || !strings.Contains(err.Error(), "exit status 2") {
		t.Errorf("a binary that fails otherwise: %v", err)
	}
}

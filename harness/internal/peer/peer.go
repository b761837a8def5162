// Package peer finds the third-party tools that tests use as oracles for
// the files the harness writes: xmllint for junit.xml, promtool for the
// OpenMetrics export and the live endpoint, benchstat for bench.txt and
// the comparison tables. A file is right when the peer's own tool says so,
// not when our own reader does.
//
// A test that needs an absent tool is skipped, except under CI=true: CI
// installs every peer (scripts/install-deps), so there a missing tool is
// a failure, never a silently weaker suite.
package peer

import (
	"bytes"
	"embed"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The JUnit schemas junit.xml is checked against (testdata/README.md
// says where they come from).
const (
	// JUnit10 is the Jenkins xunit-plugin's schema, the one Jenkins,
	// GitLab and most importers follow.
	JUnit10 = "junit-10.xsd"
	// JUnitAnt is the strict Apache Ant JUnitReport schema.
	JUnitAnt = "junit-ant.xsd"
)

//go:embed testdata/*.xsd
var schemas embed.FS

// InCI reports whether the tests run in CI, where every peer must be present.
func InCI() bool { return os.Getenv("CI") == "true" }

// Tool returns the path of the command name, skipping the test when it is
// not installed (failing it under CI). pkg names the Debian package that
// provides it, for the message.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if InCI() {
		t.Fatalf("%s not found (apt package %s; scripts/install-deps installs it): %v", name, pkg, err)
	}
	t.Skipf("%s not found (apt package %s)", name, pkg)
	return ""
}

// Benchstat returns a benchstat command of the golang.org/x/perf version
// in go.mod, so its statistics are the ones the compare package composes:
// $BENCHSTAT when set, else built into a temporary folder (skipped with
// -short, which builds nothing, unless under CI).
func Benchstat(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("BENCHSTAT"); p != "" {
		return p
	}
	if testing.Short() && !InCI() {
		t.Skip("builds the benchstat command; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "benchstat")
	cmd := exec.Command("go", "build", "-o", out, "golang.org/x/perf/cmd/benchstat")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building benchstat: %v\n%s", err, b)
	}
	return out
}

// XMLLint validates doc against the named schema (JUnit10, JUnitAnt) with
// xmllint --noout --schema, and returns whether it is valid and what
// xmllint said.
func XMLLint(t testing.TB, schema string, doc []byte) (valid bool, out string) {
	t.Helper()
	bin := Tool(t, "xmllint", "libxml2-utils")
	xsd, err := schemas.ReadFile("testdata/" + schema)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	xsdPath, docPath := filepath.Join(dir, schema), filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(xsdPath, xsd, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	cmd := exec.Command(bin, "--noout", "--schema", xsdPath, docPath)
	cmd.Stdout, cmd.Stderr = &b, &b
	err = cmd.Run()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatalf("xmllint: %v", err)
	}
	return err == nil, b.String()
}

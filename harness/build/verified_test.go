package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/spec"
)

// A cache key from a manifest (untrusted) finds a binary only when it is a
// cache key, the entry is whole, the binary still has the digest it was
// built with (and the one the run recorded), and it was built for the
// plan build's configuration.
func TestVerified(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{"main.go": mainV1})
	other := writeModule(t, map[string]string{"main.go": "package main\n\nfunc main() { println(\"other\") }\n"})
	cache := t.TempDir()
	pb := planBuild(local, mod, spec.KindFixedRate, "")
	pbOther := planBuild(local, other, spec.KindFixedRate, "")
	b := &Builder{Dir: cache}
	res := mustBuild(t, b, request(t, pb))
	resOther := mustBuild(t, b, request(t, pbOther))
	if len(res.SHA256) != 64 || res.Record(pb.Key).BinarySHA256 != res.SHA256 {
		t.Fatalf("the build recorded no digest: %q", res.SHA256)
	}
	pl := &PlanBuilder{b: &Builder{Dir: cache}}
	got, err := pl.Verified(pb, res.Key, res.SHA256)
	if err != nil || got.Binary != res.Binary || !got.Cached || got.BinarySHA256 != res.SHA256 {
		t.Fatalf("a good entry: %+v, %v", got, err)
	}
	if got, err := pl.Verified(pb, res.Key, ""); err != nil || got.Binary != res.Binary {
		t.Errorf("a good entry, no digest recorded by the run: %v", err)
	}
	for _, tt := range []struct {
		why, key, sha, want string
		pb                  func() // changes before the call
	}{
		{"a path, not a key", "../../../../bin/sh", "", "is not a build cache key", nil},
		{"an absolute path", "/bin/sh", "", "is not a build cache key", nil},
		{"a key of the wrong shape", strings.ToUpper(res.Key), "", "is not a build cache key", nil},
		{"a key not in the cache", strings.Repeat("ab", 32), "", "no build cache entry", nil},
		{"another digest than the run recorded", res.Key, strings.Repeat("0", 64), "holds another binary than the run recorded", nil},
		{"the entry of another configuration", resOther.Key, "", "was built for another configuration", nil},
	} {
		if _, err := pl.Verified(pb, tt.key, tt.sha); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.why, err, tt.want)
		}
	}
	// A binary changed in the cache after it was built.
	data, _ := os.ReadFile(res.Binary)
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(res.Binary, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := pl.Verified(pb, res.Key, ""); err == nil || !strings.Contains(err.Error(), "changed since it was built") {
		t.Errorf("a binary changed in the cache: %v", err)
	}
	// A binary replaced by a symlink to something else.
	os.Remove(res.Binary)
	os.Symlink("/bin/sh", res.Binary)
	if _, err := pl.Verified(pb, res.Key, ""); err == nil || !strings.Contains(err.Error(), "missing or changed") {
		t.Errorf("a binary replaced by a symlink: %v", err)
	}
	// An entry an older harness made has no digest: not verifiable.
	meta := filepath.Join(filepath.Dir(resOther.Binary), metaFile)
	m, _ := os.ReadFile(meta)
	os.WriteFile(meta, []byte(strings.Replace(string(m), `"sha256": "`+resOther.SHA256+`",`, "", 1)), 0o644)
	if _, err := pl.Verified(pbOther, resOther.Key, ""); err == nil || !strings.Contains(err.Error(), "records no digest") {
		t.Errorf("an entry without a digest: %v", err)
	}
	// The next cache hit records it, and the entry can be verified again.
	again := mustBuild(t, &Builder{Dir: cache}, request(t, pbOther))
	if !again.Cached || again.SHA256 != resOther.SHA256 {
		t.Errorf("a cache hit on an entry without a digest: cached %v, digest %q, want %q", again.Cached, again.SHA256, resOther.SHA256)
	}
	if _, err := pl.Verified(pbOther, resOther.Key, resOther.SHA256); err != nil {
		t.Errorf("after the cache hit recorded the digest: %v", err)
	}
}

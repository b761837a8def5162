package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"slices"
	"sort"
	"testing"

	"github.com/perfharness/harness/workloads/driver"
)

func prepare(t testing.TB, op string, seed int64) kernel {
	t.Helper()
	for _, s := range specs() {
		if s.op == op {
			k, err := s.prepare(seed)
			if err != nil {
				t.Fatalf("%s: %v", op, err)
			}
			return k
		}
	}
	t.Fatalf("no op %s", op)
	return nil
}

func run(t *testing.T, k kernel) []byte {
	t.Helper()
	out, err := k(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRSA(t *testing.T) {
	key, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Validate(); err != nil {
		t.Fatal(err)
	}
	d := digest(1)
	sig := run(t, prepare(t, "rsa2048-sign", 1))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], sig); err != nil || len(sig) != 256 {
		t.Errorf("signature of %d bytes does not verify: %v", len(sig), err)
	}
	if again := run(t, prepare(t, "rsa2048-sign", 1)); !bytes.Equal(sig, again) {
		t.Error("two PKCS #1 v1.5 signatures of one digest differ; want deterministic")
	}
	run(t, prepare(t, "rsa2048-verify", 1)) // fails the test if verify fails
	if other := run(t, prepare(t, "rsa2048-sign", 2)); bytes.Equal(sig, other) {
		t.Error("seeds 1 and 2 signed the same digest")
	}
}

func TestECDSA(t *testing.T) {
	k, err := parseKey("P-256 key", p256PEM)
	if err != nil {
		t.Fatal(err)
	}
	d := digest(1)
	sig := run(t, prepare(t, "ecdsa-p256-sign", 1))
	if !ecdsa.VerifyASN1(&k.(*ecdsa.PrivateKey).PublicKey, d[:], sig) {
		t.Error("ECDSA signature does not verify")
	}
}

func TestEd25519(t *testing.T) {
	src := inputs(1)
	key := ed25519.NewKeyFromSeed(randBytes(src, ed25519.SeedSize))
	msg := randBytes(src, 64)
	sig := run(t, prepare(t, "ed25519-sign", 1))
	if !ed25519.Verify(key.Public().(ed25519.PublicKey), msg, sig) {
		t.Error("Ed25519 signature does not verify")
	}
}

func TestModExp(t *testing.T) {
	base, exp, mod := modExpOperands(1)
	for _, x := range []*big.Int{base, exp, mod} {
		if x.BitLen() != 4096 && x != base {
			t.Errorf("operand of %d bits, want 4096", x.BitLen())
		}
	}
	if mod.Bit(0) != 1 || base.Cmp(mod) >= 0 {
		t.Error("modulus even or base not reduced")
	}
	got := new(big.Int).SetBytes(run(t, prepare(t, "modexp-4096", 1)))
	// Check against plain square-and-multiply with Mod after every step.
	want := big.NewInt(1)
	for i := exp.BitLen() - 1; i >= 0; i-- {
		want.Mul(want, want).Mod(want, mod)
		if exp.Bit(i) == 1 {
			want.Mul(want, base).Mod(want, mod)
		}
	}
	if got.Cmp(want) != 0 {
		t.Error("modexp-4096 result differs from square-and-multiply")
	}
}

func TestAESGCM(t *testing.T) {
	k := prepare(t, "aes-gcm-16k", 1)
	src := inputs(1)
	block, _ := aes.NewCipher(randBytes(src, 16))
	aead, _ := cipher.NewGCM(block)
	plain := randBytes(src, bulkBytes)
	var seen [][]byte
	for n := uint64(1); n <= 3; n++ {
		out := run(t, k)
		var nonce [12]byte
		binary.BigEndian.PutUint64(nonce[4:], n)
		if !bytes.Equal(out[:12], nonce[:]) {
			t.Fatalf("seal %d: nonce %x, want %x", n, out[:12], nonce)
		}
		ct := out[12:]
		got, err := aead.Open(nil, nonce[:], ct, nil)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("seal %d does not open to the plaintext with nonce %d: %v", n, n, err)
		}
		for _, s := range seen {
			if bytes.Equal(s, ct) {
				t.Error("two seals gave the same ciphertext: nonce repeated")
			}
		}
		seen = append(seen, ct)
	}
}

func TestSHA256(t *testing.T) {
	sum := run(t, prepare(t, "sha256-16k", 1))
	h := sha256.New()
	h.Write(randBytes(inputs(1), bulkBytes))
	if !bytes.Equal(sum, h.Sum(nil)) {
		t.Error("sha256-16k differs from hash.Hash")
	}
}

func TestOps(t *testing.T) {
	var names []string
	for name, op := range ops() {
		names = append(names, name)
		if err := op.Setup(context.Background(), driver.NewParams(nil, 1)); err != nil {
			t.Fatalf("%s: Setup: %v", name, err)
		}
		for range 3 { // the second and later reuse output buffers
			if err := op.Do(context.Background()); err != nil {
				t.Errorf("%s: Do: %v", name, err)
			}
		}
		op.Teardown()
	}
	sort.Strings(names)
	want := []string{"aes-gcm-16k", "ecdsa-p256-sign", "ed25519-sign", "modexp-4096", "rsa2048-sign", "rsa2048-verify", "sha256-16k"}
	if !slices.Equal(names, want) {
		t.Errorf("ops %v, want %v", names, want)
	}
}

func bench(b *testing.B, op string) {
	var s spec
	for _, x := range specs() {
		if x.op == op {
			s = x
		}
	}
	k := prepare(b, op, 1)
	b.SetBytes(s.bytes)
	b.ReportAllocs()
	var buf []byte
	var err error
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if buf, err = k(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSA2048Sign(b *testing.B)   { bench(b, "rsa2048-sign") }
func BenchmarkRSA2048Verify(b *testing.B) { bench(b, "rsa2048-verify") }
func BenchmarkECDSAP256Sign(b *testing.B) { bench(b, "ecdsa-p256-sign") }
func BenchmarkEd25519Sign(b *testing.B)   { bench(b, "ed25519-sign") }
func BenchmarkModExp4096(b *testing.B)    { bench(b, "modexp-4096") }
func BenchmarkAESGCM16K(b *testing.B)     { bench(b, "aes-gcm-16k") }
func BenchmarkSHA25616K(b *testing.B)     { bench(b, "sha256-16k") }

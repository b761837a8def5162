// Command crypto is a fixed-rate workload of the standard library's
// cryptography on fixed inputs, to compare toolchains, GOAMD64 levels and
// CPU features (GODEBUG=cpu.adx=off, cpu.avx512f=off, ...) on one host. Each
// op is also a go test benchmark in this package, running the same code:
//
//	op               benchmark                 one op is
//	rsa2048-sign     BenchmarkRSA2048Sign      rsa.SignPKCS1v15 of a SHA-256 digest
//	rsa2048-verify   BenchmarkRSA2048Verify    rsa.VerifyPKCS1v15 of that signature
//	ecdsa-p256-sign  BenchmarkECDSAP256Sign    ecdsa.SignASN1 of a SHA-256 digest
//	ed25519-sign     BenchmarkEd25519Sign      ed25519.Sign of a 64-byte message
//	modexp-4096      BenchmarkModExp4096       big.Int.Exp, 4096-bit base, exponent
//	                                           and odd modulus (Montgomery)
//	aes-gcm-16k      BenchmarkAESGCM16K        AES-128-GCM Seal of 16 KiB (output:
//	                                           nonce, ciphertext, tag)
//	sha256-16k       BenchmarkSHA25616K        sha256.Sum256 of 16 KiB
//
// The RSA and ECDSA keys are fixed (keys.go); the Ed25519 key, the message,
// the numbers, the plaintext and the AES key are drawn from -seed, so runs
// with one seed are comparable. Only ECDSA signing reads crypto/rand, since the algorithm
// needs a fresh nonce; PKCS #1 v1.5 and Ed25519 signatures are
// deterministic. Digests are computed at setup: the sign ops measure the
// private-key operation, not hashing. AES-GCM nonces come from a counter,
// so no nonce repeats within a run, and its output buffers are recycled, so
// the op measures sealing rather than allocating 16 KiB.
//
// On amd64, math/big and the RSA code use MULX/ADCX/ADOX when the CPU has
// ADX (masked by GODEBUG=cpu.adx=off); AES-GCM uses AES-NI and PCLMULQDQ
// (or their vector forms); SHA-256 uses the SHA extensions when present.
package main

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/perfharness/harness/workloads/driver"
)

func main() {
	driver.Main(ops())
}

// A kernel does one operation and appends its output (a signature, a
// ciphertext, a digest, a number) to dst. It is safe for concurrent use.
type kernel func(dst []byte) ([]byte, error)

// A spec is one op: its name, the go test benchmark that runs the same
// kernel, the bytes one operation processes (for MB/s; 0 when that means
// nothing) and how to build its kernel from the seed.
type spec struct {
	op, bench string
	bytes     int64
	prepare   func(seed int64) (kernel, error)
}

// bulkBytes is the input size of the bulk ops.
const bulkBytes = 16 << 10

func specs() []spec {
	return []spec{
		{"rsa2048-sign", "RSA2048Sign", 0, rsaSign},
		{"rsa2048-verify", "RSA2048Verify", 0, rsaVerify},
		{"ecdsa-p256-sign", "ECDSAP256Sign", 0, ecdsaSign},
		{"ed25519-sign", "Ed25519Sign", 0, ed25519Sign},
		{"modexp-4096", "ModExp4096", 0, modExp4096},
		{"aes-gcm-16k", "AESGCM16K", bulkBytes, aesGCM},
		{"sha256-16k", "SHA25616K", bulkBytes, sha256Sum},
	}
}

func ops() driver.Ops {
	o := driver.Ops{}
	for _, s := range specs() {
		o[s.op] = &kernelOp{spec: s}
	}
	return o
}

// A kernelOp runs a spec's kernel as a driver op.
type kernelOp struct {
	spec spec
	run  kernel
	bufs sync.Pool // of *[]byte, the kernels' output buffers
}

var _ driver.Op = (*kernelOp)(nil)

// Setup implements driver.Op.
func (o *kernelOp) Setup(_ context.Context, p driver.Params) error {
	var err error
	o.run, err = o.spec.prepare(p.Seed())
	return err
}

// Do implements driver.Op.
func (o *kernelOp) Do(context.Context) error {
	buf, _ := o.bufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	out, err := o.run((*buf)[:0])
	*buf = out
	o.bufs.Put(buf)
	return err
}

// Teardown implements driver.Op.
func (o *kernelOp) Teardown() {}

// inputs returns a deterministic source for seed's inputs.
func inputs(seed int64) *mrand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], uint64(seed))
	copy(s[8:], "perfharness crypto inputs")
	return mrand.NewChaCha8(s)
}

// randBytes reads n deterministic bytes from src.
func randBytes(src *mrand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	src.Read(b)
	return b
}

func parseKey(label, s string) (any, error) {
	block, _ := pem.Decode([]byte(testKey(s)))
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", label)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return k, nil
}

func rsaKey() (*rsa.PrivateKey, error) {
	k, err := parseKey("RSA-2048 key", rsa2048PEM)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() != 2048 {
		return nil, errors.New("RSA-2048 key: not a 2048-bit RSA key")
	}
	return rk, nil
}

// digest is the SHA-256 of a 64-byte message drawn from seed.
func digest(seed int64) [32]byte {
	return sha256.Sum256(randBytes(inputs(seed), 64))
}

func rsaSign(seed int64) (kernel, error) {
	key, err := rsaKey()
	if err != nil {
		return nil, err
	}
	d := digest(seed)
	return func(dst []byte) ([]byte, error) {
		// The reader is unused: PKCS #1 v1.5 signing is deterministic.
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
		return append(dst, sig...), err
	}, nil
}

func rsaVerify(seed int64) (kernel, error) {
	key, err := rsaKey()
	if err != nil {
		return nil, err
	}
	d := digest(seed)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
	if err != nil {
		return nil, err
	}
	pub := &key.PublicKey
	return func(dst []byte) ([]byte, error) {
		return dst, rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig)
	}, nil
}

func ecdsaSign(seed int64) (kernel, error) {
	k, err := parseKey("P-256 key", p256PEM)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve.Params().Name != "P-256" {
		return nil, errors.New("P-256 key: not an ECDSA P-256 key")
	}
	d := digest(seed)
	return func(dst []byte) ([]byte, error) {
		sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
		return append(dst, sig...), err
	}, nil
}

func ed25519Sign(seed int64) (kernel, error) {
	src := inputs(seed)
	key := ed25519.NewKeyFromSeed(randBytes(src, ed25519.SeedSize))
	msg := randBytes(src, 64)
	return func(dst []byte) ([]byte, error) {
		return append(dst, ed25519.Sign(key, msg)...), nil
	}, nil
}

// modExpOperands draws a 4096-bit base and exponent and an odd 4096-bit
// modulus larger than the base.
func modExpOperands(seed int64) (base, exp, mod *big.Int) {
	src := inputs(seed)
	num := func() *big.Int {
		b := randBytes(src, 512)
		b[0] |= 0x80 // exactly 4096 bits
		return new(big.Int).SetBytes(b)
	}
	base, exp, mod = num(), num(), num()
	mod.SetBit(mod, 0, 1) // odd: Exp uses Montgomery multiplication
	if base.Cmp(mod) >= 0 {
		base.Sub(base, mod)
	}
	return base, exp, mod
}

func modExp4096(seed int64) (kernel, error) {
	base, exp, mod := modExpOperands(seed)
	return func(dst []byte) ([]byte, error) {
		z := new(big.Int).Exp(base, exp, mod)
		return append(dst, z.Bytes()...), nil
	}, nil
}

func aesGCM(seed int64) (kernel, error) {
	src := inputs(seed)
	block, err := aes.NewCipher(randBytes(src, 16))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain := randBytes(src, bulkBytes)
	var counter atomic.Uint64
	return func(dst []byte) ([]byte, error) {
		// The output is nonce || ciphertext || tag, the usual framing; the
		// nonce lives in dst, which keeps it off the heap.
		n := len(dst)
		dst = binary.BigEndian.AppendUint64(append(dst, 0, 0, 0, 0), counter.Add(1))
		return aead.Seal(dst, dst[n:n+12], plain, nil), nil
	}, nil
}

func sha256Sum(seed int64) (kernel, error) {
	data := randBytes(inputs(seed), bulkBytes)
	return func(dst []byte) ([]byte, error) {
		sum := sha256.Sum256(data)
		return append(dst, sum[:]...), nil
	}, nil
}

package host

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Unknown is the value of a string field that could not be detected.
const Unknown = "unknown"

// A CPU is what the processor is and what it can execute. It is the identity
// half of a [Fingerprint]: it does not change between runs on the same kind of
// host.
type CPU struct {
	Arch           string   `json:"arch"`   // runtime.GOARCH
	Vendor         string   `json:"vendor"` // e.g. "AMD", "Intel", "Ampere"; "" when unknown
	Brand          string   `json:"brand"`  // e.g. "AMD EPYC 9R14 96-Core Processor"
	Family         int      `json:"family"`
	Model          int      `json:"model"`
	Stepping       int      `json:"stepping"`
	LogicalCores   int      `json:"logical_cores"`    // 0 when unknown
	PhysicalCores  int      `json:"physical_cores"`   // 0 when unknown
	ThreadsPerCore int      `json:"threads_per_core"` // 0 when unknown
	Cache          Cache    `json:"cache"`
	Features       []string `json:"features"` // sorted, spelled as cpuid spells them
	// GOAMD64 is the highest level ("v1".."v4") the CPU runs; amd64 only.
	GOAMD64 string `json:"goamd64,omitempty"`
	// GOARM64 is the highest level the CPU runs, as a GOARM64 value such as
	// "v8.2" or "v9.0,crypto"; arm64 only, best effort from the features.
	GOARM64          string `json:"goarm64,omitempty"`
	Hypervisor       bool   `json:"hypervisor"`
	HypervisorVendor string `json:"hypervisor_vendor,omitempty"` // e.g. "KVM"
}

// A Cache holds cache sizes in bytes, -1 when unknown.
// cpuid reports each level per core or shared, as the hardware describes it.
type Cache struct {
	L1I int `json:"l1i_B"`
	L1D int `json:"l1d_B"`
	L2  int `json:"l2_B"`
	L3  int `json:"l3_B"`
}

// A Fingerprint describes the host a result was measured on: its [CPU], the
// state of the operating system that makes measurements noisy or quiet, and
// the warnings that state gives rise to. It is recorded with every result.
//
// String fields hold [Unknown] when they could not be detected, sizes hold -1,
// and LoadAvg is nil.
type Fingerprint struct {
	CPU
	OS       string    `json:"os"`       // runtime.GOOS
	Kernel   string    `json:"kernel"`   // uname release
	Governor string    `json:"governor"` // cpufreq scaling_governor of cpu0
	Boost    string    `json:"boost"`    // "on", "off" or "unknown"
	LoadAvg  []float64 `json:"load_avg"` // 1, 5 and 15 minutes; nil when unknown
	// OnlineCPUs is how many CPUs the kernel runs (sys/devices/system/cpu/online),
	// 0 when unknown. A guest's cpuid may count the hypervisor's cores
	// (254 on a 2-vCPU guest): the load average is judged against this.
	OnlineCPUs int `json:"online_cpus,omitempty"`
	// UsableCPUs is how many CPUs the harness may run on (its affinity, which
	// a container narrows), 0 when unknown.
	UsableCPUs int      `json:"usable_cpus,omitempty"`
	ASLR       string   `json:"aslr"` // "off", "conservative", "full" or "unknown"
	MemTotalB  int64    `json:"mem_total_B"`
	Hostname   string   `json:"hostname"`
	GoVersion  string   `json:"harness_go_version"` // the Go that built the harness, not the workloads
	Warnings   []string `json:"warnings"`           // noisy-host findings; empty, not nil, when none
	ID         string   `json:"id"`                 // digest of the CPU identity; see DetectFrom
	// Valgrind is the version of the valgrind the instructions tier counts
	// with ("3.19.0"), when it is installed; the plan fills it in
	// (harness/instr finds valgrind). Instruction counts depend on it: its
	// virtual CPU decides which code paths run.
	Valgrind string `json:"valgrind,omitempty"`
}

// Detect fingerprints the host the harness is running on.
func Detect() Fingerprint {
	f := DetectFrom(os.DirFS("/"), DetectCPU())
	if cpus, ok := AllowedCPUs(); ok {
		f.UsableCPUs = len(cpus)
	}
	if f.Hostname == Unknown {
		if h, err := os.Hostname(); err == nil && h != "" {
			f.Hostname = h
		}
	}
	return f
}

// DetectFrom fingerprints a host whose CPU is cpu and whose /proc and /sys are
// read from fsys, a file system rooted at "/" (paths like "proc/loadavg").
// OS and GoVersion come from the running program.
//
// The ID is a short digest of the identity fields of cpu: architecture,
// vendor, brand, family, model, stepping, core counts and features. Load,
// time, host name and kernel are left out, so two runs on the same kind of
// host have equal IDs.
func DetectFrom(fsys fs.FS, cpu CPU) Fingerprint {
	f := Fingerprint{
		CPU:        cpu,
		OS:         runtime.GOOS,
		Kernel:     readWord(fsys, "proc/sys/kernel/osrelease"),
		Governor:   readWord(fsys, "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
		Boost:      boost(fsys),
		LoadAvg:    loadAvg(fsys),
		OnlineCPUs: onlineCPUs(fsys),
		ASLR:       aslr(fsys),
		MemTotalB:  memTotal(fsys),
		Hostname:   readWord(fsys, "proc/sys/kernel/hostname"),
		GoVersion:  runtime.Version(),
	}
	if f.Features == nil {
		f.Features = []string{}
	}
	f.Warnings = warnings(f)
	f.ID = identity(cpu)
	return f
}

// identity returns the ID of a CPU. Changing what goes into it changes the ID
// of every host, so old results stop matching new ones: do it deliberately.
func identity(c CPU) string {
	h := sha256.New()
	fmt.Fprintf(h, "arch=%s\nvendor=%s\nbrand=%s\n", c.Arch, c.Vendor, c.Brand)
	fmt.Fprintf(h, "family=%d\nmodel=%d\nstepping=%d\n", c.Family, c.Model, c.Stepping)
	fmt.Fprintf(h, "cores=%d/%d/%d\n", c.LogicalCores, c.PhysicalCores, c.ThreadsPerCore)
	fmt.Fprintf(h, "features=%s\n", strings.Join(c.Features, ","))
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// warnings lists what makes the host f noisy, in a fixed order.
func warnings(f Fingerprint) []string {
	w := []string{}
	switch f.Governor {
	case "performance":
	case Unknown:
		w = append(w, "cpu frequency governor unknown (no cpufreq in sysfs): clock speed is not under the host's control and may vary")
	default:
		w = append(w, fmt.Sprintf("cpu frequency governor is %q, not \"performance\": clock speed follows load", f.Governor))
	}
	if f.Boost == "on" {
		w = append(w, "turbo boost is on: clock speed depends on temperature and on how many cores are busy")
	}
	if f.LoadAvg == nil {
		w = append(w, "load average unknown: cannot tell whether other work competes with the benchmark")
	} else if cores, what := f.loadCores(); f.LoadAvg[0] > loadLimit(cores) {
		w = append(w, fmt.Sprintf("load average %.2f is high for %d %s (above %.2f): other work competes with the benchmark",
			f.LoadAvg[0], cores, what, loadLimit(cores)))
	}
	if f.OnlineCPUs > 0 && f.LogicalCores > f.OnlineCPUs {
		w = append(w, fmt.Sprintf("cpuid counts %d logical cores but %d CPUs are online: the core counts are the hypervisor's, not this host's", f.LogicalCores, f.OnlineCPUs))
	}
	if f.UsableCPUs > 0 && f.OnlineCPUs > 0 && f.UsableCPUs < f.OnlineCPUs {
		w = append(w, fmt.Sprintf("the harness may use %d of the %d online CPUs (its CPU affinity or container limit)", f.UsableCPUs, f.OnlineCPUs))
	}
	if f.Hypervisor {
		by := ""
		if f.HypervisorVendor != "" {
			by = " (" + f.HypervisorVendor + ")"
		}
		w = append(w, "running under a hypervisor"+by+": steal time and noisy neighbours can perturb results")
	}
	if f.ThreadsPerCore > 1 {
		w = append(w, fmt.Sprintf("SMT is on (%d threads per core): sibling threads share a core, so concurrent work interferes", f.ThreadsPerCore))
	}
	return w
}

// loadCores is the number of CPUs the load average is shared by, and what
// they are: the online CPUs when known (the load average counts the runnable
// tasks of the whole kernel), else cpuid's logical cores.
func (f Fingerprint) loadCores() (int, string) {
	if f.OnlineCPUs > 0 {
		return f.OnlineCPUs, "online CPUs"
	}
	return f.LogicalCores, "logical cores"
}

// CPUsLine says how many CPUs the host has to run on, for headers:
// "2 online (cpuid: 254 logical)" when the counts differ.
func (f Fingerprint) CPUsLine() string {
	if f.OnlineCPUs <= 0 {
		s := fmt.Sprintf("%d logical cores", f.LogicalCores)
		if f.PhysicalCores > 0 {
			s += fmt.Sprintf(", %d physical", f.PhysicalCores)
		}
		return s
	}
	s := fmt.Sprintf("%d online CPUs", f.OnlineCPUs)
	if f.UsableCPUs > 0 && f.UsableCPUs != f.OnlineCPUs {
		s += fmt.Sprintf(", %d usable", f.UsableCPUs)
	}
	if f.LogicalCores != f.OnlineCPUs {
		s += fmt.Sprintf(" (cpuid: %d logical cores)", f.LogicalCores)
	} else if f.PhysicalCores > 0 && f.PhysicalCores != f.LogicalCores {
		s += fmt.Sprintf(", %d physical cores", f.PhysicalCores)
	}
	return s
}

// loadLimit is the 1-minute load average above which a host with the given
// number of logical cores counts as busy.
//
// Note: a quarter of the cores, but never below 1. One busy core already
// disturbs a small host; on a large one a few stray processes are tolerable,
// but a quarter of the cores busy means shared caches, memory bandwidth and
// boost budget are contended.
func loadLimit(cores int) float64 {
	return max(1, float64(cores)/4)
}

// Label names the host for people: CPU brand and host name, or its ID when
// neither is known.
func (f Fingerprint) Label() string {
	var parts []string
	if f.Brand != "" && f.Brand != Unknown {
		parts = append(parts, f.Brand)
	}
	if f.Hostname != "" && f.Hostname != Unknown {
		parts = append(parts, f.Hostname)
	}
	if len(parts) == 0 {
		return "host " + f.ID
	}
	return strings.Join(parts, ", ")
}

// keyFeatures are the CPU features a reader of a Go benchmark most often
// needs to know about (crypto, bignum and vector code paths depend on them),
// by the name people use and the name cpuid gives.
var keyFeatures = []struct{ name, cpuid string }{
	{"ADX", "ADX"}, {"BMI2", "BMI2"}, {"AES", "AESNI"}, {"PCLMULQDQ", "CLMUL"}, {"SHA", "SHA"},
	{"AVX2", "AVX2"}, {"AVX-512", "AVX512F"}, {"VAES", "VAES"}, {"GFNI", "GFNI"},
}

// KeyFeatures says which of the key CPU features the host has, one
// "NAME yes|no" entry each.
func (f Fingerprint) KeyFeatures() []string {
	var out []string
	for _, k := range keyFeatures {
		mark := "no"
		if slices.Contains(f.Features, k.cpuid) {
			mark = "yes"
		}
		out = append(out, k.name+" "+mark)
	}
	return out
}

// IsLoopback reports whether a host name or address — as in a listen
// address or a URL, brackets allowed — is this machine's loopback:
// localhost or a loopback IP. The servers the harness starts bind and
// answer only these unless told otherwise, and it sends load nowhere else.
func IsLoopback(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// NamesBound reports whether a request's Host header names the address a
// loopback server is bound to: its IP and port, or localhost and the port.
// A web page whose DNS name was rebound to 127.0.0.1 sends its own name,
// so the servers the harness starts on loopback refuse any other Host.
func NamesBound(hostHeader string, bound net.Addr) bool {
	ba, ok := bound.(*net.TCPAddr)
	if !ok {
		return false
	}
	h, port, err := net.SplitHostPort(hostHeader)
	if err != nil || port != strconv.Itoa(ba.Port) {
		return false
	}
	if strings.EqualFold(h, "localhost") {
		return ba.IP.IsLoopback()
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.Equal(ba.IP)
}

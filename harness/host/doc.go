// Package host fingerprints the machine a benchmark runs on: what its CPU can
// do (features, GOAMD64 or GOARM64 level, cores, caches) and how noisy it is
// (frequency governor, boost, load average, hypervisor, SMT).
//
// It is a leaf of the pipeline and the only package that imports
// github.com/klauspost/cpuid/v2. Its neighbours use it like this:
//
//  1. spec names CPU features in bench.yaml through [CanonicalFeature], so
//     "adx" and "ADX" mean the feature cpuid calls ADX, and a misspelt name is
//     a config error rather than a silently skipped cell.
//  2. plan skips the cells this host cannot run, with a reason, by asking
//     the Fingerprint's Has, SupportsGOAMD64 and SupportsGOARM64 (methods of
//     the embedded [CPU]).
//  3. results record the [Fingerprint] in manifest.json and on bench.txt
//     configuration lines. When runs are compared, [Compare] lists what
//     differs between their hosts, and equal IDs say they ran on the same kind
//     of host.
//  4. `harness cpu` prints [WriteTable].
//
// Detection never fails. What cannot be read is "unknown" (-1 for sizes, nil
// for the load average), and findings that make a host noisy are Warnings:
// data that travels with every result, not log lines.
package host

// Package build turns the plan's build configurations into workload binaries:
// one binary per distinct *plan.Build, built by the cell's own toolchain with
// exactly the plan's environment and flags, and kept in a content-addressed
// cache so that an unchanged matrix rebuilds nothing, across runs and across
// harness processes sharing the cache folder.
//
// It is step 3 of the pipeline. plan (below) says what to build, with the
// spec's settings (below); toolchain (below) provides each toolchain's go
// command and identity. A [PlanBuilder] is what run asks for binaries,
// through run's Builder interface: it picks each configuration's request
// (the PGO policy: a profiling pass, then a build with its profile) and
// describes each binary as results (below) records it, so that run records
// its build time and size as the benchfmt metrics build-ns and binary-B.
// cli and verify (above) create it. build never prints: progress goes to a
// callback, failures come back as errors on Results.
//
// A Request goes through these steps:
//
//  1. Key: the sha256 of a recipe — the toolchain identity, the environment
//     variables that can change the output, the go command (build or test
//     -c), the module folder and package, the flags, the PGO profile's
//     content, and a digest of the sources that go into the binary (see
//     sourceDigest). Result.Recipe keeps the recipe's lines, so "why did
//     this rebuild?" is a diff of two meta.json files.
//  2. Look up: a published entry with that key is a cache hit; nothing runs.
//  3. Build: the go command runs without a shell, in the module root, with
//     the request's Env and Flags, writing into a fresh temporary folder in
//     the cache. Its output is the build log.
//  4. Check: the binary's build info (debug/buildinfo, what go version -m
//     shows) must name the toolchain's Go version, the GOEXPERIMENT that was
//     asked for, and exactly the experiments the toolchain says are in effect
//     for it. A mismatch fails the build.
//  5. Publish: the temporary folder is renamed to its key in one step. A
//     half-written folder is never under a key; when two processes race, the
//     first rename wins and the other uses the winner's entry.
//
// The cache folder holds:
//
//	v1/entries/<k[:2]>/<k>/<name>     the binary (<name>: the package's last
//	                                  path element, ".test" for test binaries)
//	v1/entries/<k[:2]>/<k>/build.log  stdout and stderr of the go command
//	v1/entries/<k[:2]>/<k>/meta.json  key recipe, command, environment, build
//	                                  time, size, Go version and build settings
//	v1/sources/<c>.json               source manifest for the quick check of a
//	                                  build configuration c
//	v1/toolchains/<t>.json            toolchain identities with the file stamps
//	                                  they were computed from
//	v1/profiles/<k>.pprof             PGO profiles kept for the binary k
//	v1/tmp/                           builds in progress (removed after a day
//	                                  when a killed process left them)
package build

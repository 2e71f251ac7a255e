#!/bin/bash
# Configure (warnings are errors), build, and run every test: unit, integration (on this
# host) and the other cgroup worlds. Exits non-zero when anything fails.
# Usage: tests/run-all.sh [BUILD_DIR]   (default: build/ in the source tree)
# Environment: JOBS (build and unit-test parallelism, default: nproc), CTEST_ARGS (extra
# ctest arguments, e.g. "-LE world" to leave the worlds out).
set -euo pipefail
src=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
build=${1:-$src/build}
jobs=${JOBS:-$(nproc)}
t0=$(date +%s)
step() { echo "=== $* ($(($(date +%s) - t0)) s)"; }

step "dependencies"
"$src/tests/install-deps.sh"
step "configure $build"
cmake -S "$src" -B "$build" -DSUPERVISE_WERROR=ON
step "build"
cmake --build "$build" -j"$jobs"
step "test"
# the integration tests and the worlds hold the "cgroups" resource lock, so they run one
# at a time while the unit tests run in parallel
rc=0
ctest --test-dir "$build" --output-on-failure -j"$jobs" ${CTEST_ARGS:-} || rc=$?
step "done: ctest exit $rc"
exit "$rc"

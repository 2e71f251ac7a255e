#!/bin/bash
# --help lists the options and exits 0; --version prints the project version and exits 0.
. "$TESTS_DIR/lib.sh"

run --help
assert_status 0
for o in --memory --memory-high --swap --memory-warn --tasks --cpu --timeout --kill-after \
    --chdir --setenv --log --json --result --dry-run --driver --cgroup-root doctor; do
    assert_contains "$OUT" "$o" "--help output"
done
version=$(sed -n 's/^project(supervise VERSION \([0-9.]*\).*/\1/p' "$TESTS_DIR/../../CMakeLists.txt")
run --version
assert_status 0
assert_contains "$OUT" "$version" "--version output"
assert_eq 1 "$(grep -c . "$W/out")" "--version output lines"
no_leftovers

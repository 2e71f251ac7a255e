#!/bin/bash
# Fails when the version of the Debian changelog or of the RPM spec differs from CMake's
# project(VERSION), the one place the version comes from (supervise --version reports it).
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)

cmake_version=$(sed -nE 's/^project\(supervise VERSION ([0-9][0-9.]*).*/\1/p' "$top/CMakeLists.txt")
deb_version=$(sed -nE '1s/^supervise \(([^)]*)\).*/\1/p' "$top/packaging/deb/debian/changelog")
deb_upstream=${deb_version#*:}
deb_upstream=${deb_upstream%-*}
rpm_version=$(sed -nE 's/^Version:[[:space:]]*([^[:space:]]+).*/\1/p' "$top/packaging/rpm/supervise.spec")

status=0
[ -n "$cmake_version" ] || { echo "check-version: no project(supervise VERSION ...) in CMakeLists.txt" >&2; status=1; }
if [ "$deb_upstream" != "$cmake_version" ]; then
    echo "check-version: packaging/deb/debian/changelog has $deb_version, CMakeLists.txt $cmake_version" \
         "(add a changelog entry: dch -v $cmake_version-1)" >&2
    status=1
fi
if [ "$rpm_version" != "$cmake_version" ]; then
    echo "check-version: packaging/rpm/supervise.spec has Version: $rpm_version, CMakeLists.txt $cmake_version" >&2
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "check-version: ok: $cmake_version (CMake) = $deb_version (deb) = $rpm_version (rpm)"
else
    echo "check-version: FAILED: versions differ"
fi
exit "$status"

#!/bin/bash
# Installs what supervise needs (Debian 12, as root), builds it, and does the main job: a
# real build (supervise compiling itself once more) held to a 1G memory limit in its own
# cgroup, with the result as JSON.
set -euo pipefail
cd "$(dirname "$0")"

tests/install-deps.sh build

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target supervise

echo
echo "setup: the main job: a memory-capped build under supervise"
echo "+ build/supervise --memory 1G --memory-warn 80% --timeout 15m --result build/demo-result.json -- cmake --build build/demo -j2"
cmake -S . -B build/demo -DSUPERVISE_TESTS=OFF >/dev/null
cmake --build build/demo --target clean >/dev/null
status=0
build/supervise --memory 1G --memory-warn 80% --timeout 15m --result build/demo-result.json \
    -- cmake --build build/demo -j2 --target supervise >/dev/null || status=$?
echo "setup: exit status $status; result:"
cat build/demo-result.json
exit "$status"

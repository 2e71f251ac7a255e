#!/bin/bash
# -C/--chdir DIR runs the command in DIR; -E/--setenv NAME=VALUE (repeatable) sets its
# environment, over inherited values; the rest of the environment is inherited.
. "$TESTS_DIR/lib.sh"

mkdir "$W/there"
export INHERITED=yes OVERRIDDEN=old
run -C "$W/there" -E FOO=bar --setenv 'BAZ=a b=c' -E OVERRIDDEN=new -- \
    sh -c 'pwd; echo "$FOO|$BAZ|$OVERRIDDEN|$INHERITED"'
assert_status 0
assert_eq "$W/there
bar|a b=c|new|yes" "$OUT" "working directory and environment of the command"
run --chdir "$W/there" -- pwd
assert_eq "$W/there" "$OUT" "working directory with --chdir"
no_leftovers

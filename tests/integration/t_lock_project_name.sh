#!/bin/bash
# --lock @project is the lock of this checkout: "project:" + the git top level of the
# directory the command runs in (-C counts), or that directory itself outside git.
. "$TESTS_DIR/lock_lib.sh"

top=$(cd "$W" && pwd -P)
mkdir -p "$top/repo/a/b" "$top/other/c" "$top/plain/d"
if command -v git >/dev/null; then
    git init -q "$top/repo" && git init -q "$top/other" || fail "git init failed"
else
    mkdir "$top/repo/.git" "$top/other/.git"
fi

project_lock() {  # DIR [SUPERVISE OPTIONS]: the lock name a run in DIR gets
    local dir=$1
    shift
    (cd "$dir" && run --json "$@" --lock @project -- sh -c 'echo "$SUPERVISE_LOCK" >"$0"' "$W/env" &&
        assert_status 0 && json lock) || exit 1
}
assert_eq "project:$top/repo" "$(project_lock "$top/repo/a/b")" "lock name in a git subdirectory"
assert_eq "project:$top/repo" "$(cat "$W/env")" "SUPERVISE_LOCK in a git subdirectory"
assert_eq "project:$top/repo" "$(project_lock "$top/repo")" "lock name at the git top"
assert_eq "project:$top/repo" "$(project_lock "$top/plain" -C "$top/repo/a")" "lock name with -C"
assert_eq "project:$top/plain/d" "$(project_lock "$top/plain/d")" "lock name outside git"

# two checkouts are two locks; two directories of one checkout are one
sv_bg holder -C "$top/repo/a" --lock @project -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
(cd "$top/repo/a/b" && run --lock @project --wait 0 -- true && assert_status 75) || exit 1
(cd "$top/other/c" && run --lock @project --wait 0 -- true && assert_status 0) || exit 1
run check "project:$top/repo";  assert_status 1
(cd "$top/repo" && run check @project && assert_status 1) || exit 1
release holder
sv_wait holder
assert_eq 0 "$RC" "the holder's exit status"

#!/bin/bash
# Misuse: exit 125, exactly one "supervise: ..." line naming the culprit, nothing run.
. "$TESTS_DIR/lib.sh"

cmd=(touch "$W/ran")
bad() {  # needle args...
    local needle=$1; shift
    run "$@"
    assert_status 125
    assert_eq 1 "$(wc -l <"$W/err")" "stderr lines for: $*"
    assert_match "$ERR" "^supervise: " "error line for: $*"
    assert_contains "$ERR" "$needle" "error line for: $*"
    [ ! -e "$W/ran" ] || fail "the command ran despite: $*"
}
bad memory --memory 512K "${cmd[@]}"
bad memory --memory 101% "${cmd[@]}"
bad memory --memory lots "${cmd[@]}"
bad memory-high --memory-high 12Q "${cmd[@]}"
bad memory-warn --memory-warn 50 "${cmd[@]}"
bad tasks --tasks many "${cmd[@]}"
bad cpu --cpu fast "${cmd[@]}"
bad timeout --timeout soon "${cmd[@]}"
bad kill-after --timeout 5 --kill-after never "${cmd[@]}"
bad driver --driver bogus "${cmd[@]}"
bad no-such-option --no-such-option "${cmd[@]}"
bad NOEQUALS --setenv NOEQUALS "${cmd[@]}"
bad "$W/nodir" --chdir "$W/nodir" "${cmd[@]}"
# environment defaults are checked like options (the line names the option or the
# variable, and the bad value)
SUPERVISE_MEMORY=lots bad lots "${cmd[@]}"
assert_match "$ERR" 'memory|MEMORY' "error line for SUPERVISE_MEMORY=lots"
SUPERVISE_TIMEOUT=soon bad soon "${cmd[@]}"
assert_match "$ERR" 'timeout|TIMEOUT' "error line for SUPERVISE_TIMEOUT=soon"
# no command at all
run
assert_status 125
no_leftovers

#!/bin/bash
# --state-dir on the command line wins over SUPERVISE_STATE_DIR, for runs and for every
# lock subcommand (as every other option does).
. "$TESTS_DIR/lock_lib.sh"

mkdir -m 0700 "$W/cli"
for args in "--state-dir $W/cli --lock a -- true" "lock b --state-dir $W/cli --owner $$" \
    "unlock b --state-dir $W/cli --owner $$" "check c --state-dir $W/cli" "list --state-dir $W/cli" \
    "kill-all --state-dir $W/cli"; do
    rm -rf "${LOCK_STATE_DIR:?}"/*
    run $args
    [ "$RC" = 0 ] || fail "supervise $args: exit $RC$(_last_run)"
    [ -z "$(ls -A "$LOCK_STATE_DIR")" ] ||
        fail "supervise $args used SUPERVISE_STATE_DIR=$LOCK_STATE_DIR: $(ls -R "$LOCK_STATE_DIR")"
done
[ -d "$W/cli/locks" ] || fail "nothing was written to --state-dir $W/cli"

#!/bin/bash
# A pool's name file replaced by a symlink to a secret is never followed: its content is
# never echoed in an error or in list, and the name file is rebuilt from the name given.
. "$TESTS_DIR/lock_lib.sh"

echo "TOP-SECRET-$$" >"$W/secret"
chmod 600 "$W/secret"
run --lock n -- true;  assert_status 0
pool=$SUPERVISE_STATE_DIR/locks/n
rm -f "$pool/name"
ln -s "$W/secret" "$pool/name"
for args in "--lock n -- true" "check n" "list" "list --json" "list n"; do
    run $args
    [ "$RC" = 0 ] || fail "'$args' exited $RC: $ERR"
    assert_not_contains "$OUT$ERR" "TOP-SECRET" "output of '$args'"
done
[ ! -L "$pool/name" ] || [ ! -e "$pool" ] || fail "the symlinked name file was left in place"
assert_eq "TOP-SECRET-$$" "$(cat "$W/secret")" "the secret file"

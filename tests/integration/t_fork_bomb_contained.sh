#!/bin/bash
# With --tasks 50 a command forking 200 processes (each forking again) gets at most 50; the
# rest of the forks fail, and every process is gone after the main process exits.
#@ conformance
. "$TESTS_DIR/lib.sh"

cat >"$W/bomb.pl" <<'PL'
use POSIX ();
$| = 1;
my $pids_dir = shift;
my ($ok, $failed) = (0, 0);
for (1 .. 200) {
    my $pid = fork;
    if (!defined $pid) { $failed++; next; }
    if ($pid == 0) { fork; sleep 30; POSIX::_exit(0); }   # each child forks once more
    $ok++;
}
sleep 1;
my $current = "unknown";
if (open my $f, "<", "$pids_dir/pids.current") { $current = <$f>; chomp $current; }
print "forked $ok failed $failed current $current\n";
POSIX::_exit(0);
PL
run --tasks 50 -- bash -c 'd=$(bash "$TESTS_DIR/cgroup_limits.sh" | awk "\$1==\"pids_dir\"{print \$2}"); exec perl "$1" "$d"' _ "$W/bomb.pl"
skip_if_unenforceable --tasks
assert_status 0
read -r _ ok _ failed _ current <<<"$OUT"
assert_match "$OUT" '^forked [0-9]+ failed [0-9]+ current [0-9]+$' "command output"
assert_cmp "$ok" '<' 50 "successful forks ($ok) under --tasks 50"
assert_cmp "$failed" '>' 0 "failed forks under --tasks 50"
# (the systemd driver's keeper is one more process in the scope)
assert_cmp "$current" '<=' 51 "pids.current ($current) under --tasks 50"
assert_cmp "$ELAPSED" '<' 20 "run time with a fork bomb (s)"
no_leftovers

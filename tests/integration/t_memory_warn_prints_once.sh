#!/bin/bash
# --memory-warn PCT: one warning line when usage first crosses PCT of --memory, however long
# it stays above; none when it stays below.
. "$TESTS_DIR/lib.sh"

# allocate in 1M chunks (no temporary copies), hold, then grow and hold again
alloc='my @a; for my $mb (@ARGV) { push @a, "x" x (1<<20) while @a < $mb; select(undef, undef, undef, 1.5) }'
run --memory 100M --memory-warn 50 -- perl -e "$alloc" 70 80
skip_if_unenforceable --memory
assert_status 0
assert_eq 1 "$(grep -c . "$W/err")" "stderr lines with usage above the threshold"
assert_match "$ERR" '^supervise: .*memory' "warning line"

run --memory 100M --memory-warn 50 -- perl -e "$alloc" 10
assert_status 0
assert_eq "" "$ERR" "stderr with usage below the threshold"
no_leftovers

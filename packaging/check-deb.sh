#!/bin/bash
# Builds the .deb from a copy of the working tree, lints it, installs it with apt, runs the
# installed supervise like a user would, purges it and checks that nothing is left.
# As root on Debian 12. Prints one summary line; exits non-zero on any failure.
#   packaging/check-deb.sh [WORKDIR]     (default: a new directory under /tmp)
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
work=${1:-$(mktemp -d /tmp/supervise-deb.XXXXXX)}
log=$work/log
mkdir -p "$work"
: >"$log"

summary() { echo "check-deb: $*"; }
fail() {
    echo "check-deb: FAILED: $*" >&2
    summary "FAILED: $* (log: $log)"
    exit 1
}
step() { echo "check-deb: $*" >&2; }

# Never leave the package installed behind a failed check.
installed_by_us=0
cleanup() {
    if [ "$installed_by_us" = 1 ] && dpkg -s supervise >/dev/null 2>&1; then
        apt-get -o DPkg::Lock::Timeout=300 purge -y -q supervise >>"$log" 2>&1 || true
    fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "run as root (installs packages)"

"$top/packaging/check-version.sh" >&2 || fail "versions differ"
version=$(sed -nE '1s/^supervise \(([^)]*)\).*/\1/p' "$top/packaging/deb/debian/changelog")
upstream=${version%-*}

needed=(debhelper dpkg-dev fakeroot lintian man-db bash-completion cmake g++ pkg-config
        libsystemd-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev pandoc systemd)
missing=()
for p in "${needed[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
        { apt-get update -q >>"$log" 2>&1 &&
          apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; } ||
        fail "apt-get install ${missing[*]}"
fi

if dpkg -s supervise >/dev/null 2>&1; then
    fail "a supervise package is installed already; purge it first (apt-get purge supervise)"
fi
if [ -e /run/supervise ] && [ -n "$(ls -A /run/supervise 2>/dev/null)" ]; then
    fail "/run/supervise holds lock state of another supervise; the purge would remove it"
fi

# The package is built from a copy, with debian/ at its top as dpkg-buildpackage expects;
# the repository itself never gets a debian/ directory.
src=$work/supervise-$upstream
step "copying the tree to $src"
rm -rf "$src"
mkdir -p "$src"
tar -C "$top" --exclude=./.git --exclude='./build*' --exclude=./.cache -cf - . | tar -C "$src" -xf -
rm -rf "$src/debian"
cp -r "$top/packaging/deb/debian" "$src/debian"

step "dpkg-buildpackage -us -uc -b"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >>"$log" 2>&1 ||
    fail "dpkg-buildpackage (see $log)"
arch=$(dpkg --print-architecture)
deb=$work/supervise_${version}_${arch}.deb
[ -f "$deb" ] || fail "no $deb"
changes=$work/supervise_${version}_${arch}.changes

step "lintian"
lintian_out=$work/lintian.txt
lintian_status=0
lintian --fail-on error --display-info "$changes" >"$lintian_out" 2>&1 || lintian_status=$?
cat "$lintian_out" >&2
[ "$lintian_status" = 0 ] || fail "lintian reports errors"
lintian_errors=$(grep -c '^E:' "$lintian_out" || true)
lintian_warnings=$(grep -c '^W:' "$lintian_out" || true)
lintian_infos=$(grep -c '^I:' "$lintian_out" || true)

step "installing $deb"
installed_by_us=1
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "$deb" >>"$log" 2>&1 || fail "apt-get install $deb"
mapfile -t package_files < <(dpkg -L supervise)

# As a user gets it: the installed binary, the man page, the completion, the units.
bin=/usr/bin/supervise
[ -x "$bin" ] || fail "$bin missing"
"$bin" --version | grep -qF "supervise $upstream " || fail "--version is not $upstream: $("$bin" --version)"
man -w supervise >/dev/null 2>&1 || fail "man -w supervise finds no page"
man_page=$(man -w supervise)
completion=/usr/share/bash-completion/completions/supervise
[ -f "$completion" ] || fail "bash completion $completion missing"
[ -f /usr/share/zsh/vendor-completions/_supervise ] || fail "zsh completion missing"
[ -f /usr/share/doc/supervise/README.md ] || [ -f /usr/share/doc/supervise/README.md.gz ] ||
    fail "README.md not in /usr/share/doc/supervise"
completed=$(bash -c '
    source /usr/share/bash-completion/bash_completion
    source '"$completion"'
    COMP_WORDS=(supervise kill-); COMP_CWORD=1; COMP_LINE="supervise kill-"; COMP_POINT=${#COMP_LINE}
    _supervise supervise kill- supervise
    echo "${COMPREPLY[*]}"' 2>>"$log")
[ "$completed" = kill-all ] || fail "bash completion of 'supervise kill-' gave '$completed', not kill-all"
for unit in /lib/systemd/system/supervise.slice /usr/lib/systemd/user/supervise.slice; do
    [ -f "$unit" ] || fail "$unit missing"
done
systemd-analyze verify /lib/systemd/system/supervise.slice >>"$log" 2>&1 ||
    fail "systemd-analyze verify supervise.slice"
[ -f /usr/lib/tmpfiles.d/supervise.conf ] || fail "tmpfiles.d entry missing"
if command -v systemd-tmpfiles >/dev/null; then
    [ "$(stat -c '%a %U %G' /run/supervise 2>/dev/null)" = "700 root root" ] ||
        fail "postinst did not create /run/supervise 0700 root root"
fi

step "smoke test of $bin"
state=$(mktemp -d)
cgroups=()
result=$("$bin" --json --lock smoke --memory 64M --state-dir "$state" -- true 2>>"$log") ||
    fail "locked run: supervise --lock smoke --memory 64M -- true exited $?"
cgroups+=("$(sed -nE 's/.*"cgroup": "([^"]*)".*/\1/p' <<<"$result")")
grep -qF '"lock": "smoke"' <<<"$result" || fail "the locked run did not report its lock: $result"
# the run has ended: list shows no pool of it (and removes what was left)
listed=$("$bin" list --json --state-dir "$state" 2>>"$log") || fail "list exited $?"
[ "$listed" = "[]" ] || fail "list after the locked run ended: $listed"
oom_status=0
result=$("$bin" --json --memory 20M -- tail /dev/zero 2>>"$log") || oom_status=$?
[ "$oom_status" = 137 ] || fail "OOM run exited $oom_status, not 137"
grep -qF '"oom_killed": true' <<<"$result" || fail "OOM run not reported as oom_killed: $result"
cgroups+=("$(sed -nE 's/.*"cgroup": "([^"]*)".*/\1/p' <<<"$result")")
rm -rf "$state"

step "purging"
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge -y -q supervise >>"$log" 2>&1 || fail "apt-get purge"
installed_by_us=0
dpkg -s supervise >/dev/null 2>&1 && fail "still installed after purge"
left=()
for f in "${package_files[@]}"; do
    [ -e "$f" ] || continue
    [ -d "$f" ] && [ "$f" != /usr/share/doc/supervise ] && continue    # shared directories
    left+=("$f")
done
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
[ -e /run/supervise ] && fail "/run/supervise left after purge"
for cg in "${cgroups[@]}"; do
    [ -n "$cg" ] || fail "a smoke run reported no cgroup"
    [ -e "$cg" ] && fail "cgroup $cg left behind"
    name=$(basename "$cg")
    twins=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$name" 2>/dev/null | head -3)
    [ -z "$twins" ] || fail "cgroups left behind: $twins"
done

summary "ok: built ${deb##*/} (${#package_files[@]} paths), lintian ${lintian_errors} errors" \
        "${lintian_warnings} warnings ${lintian_infos} infos, installed, smoke ok (lock run 0, OOM run 137)," \
        "man page $man_page, bash completion ok, purged clean"

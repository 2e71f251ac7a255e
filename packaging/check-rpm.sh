#!/bin/bash
# Builds the .rpm with rpmbuild (Debian's rpm package) from a tarball of the working tree and
# checks its file list and scriptlets; runs rpmlint and reports what it says. The spec's
# BuildRequires name Fedora packages, which Debian cannot satisfy: the build uses --nodeps
# against the Debian -dev packages. As root on Debian 12. Prints one summary line; exits
# non-zero on any failure.
#   packaging/check-rpm.sh [WORKDIR]     (default: a new directory under /tmp)
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
work=${1:-$(mktemp -d /tmp/supervise-rpm.XXXXXX)}
log=$work/log
mkdir -p "$work"
: >"$log"

summary() { echo "check-rpm: $*"; }
fail() {
    echo "check-rpm: FAILED: $*" >&2
    summary "FAILED: $* (log: $log)"
    exit 1
}
step() { echo "check-rpm: $*" >&2; }

"$top/packaging/check-version.sh" >&2 || fail "versions differ"
spec=$top/packaging/rpm/supervise.spec
version=$(sed -nE 's/^Version:[[:space:]]*([^[:space:]]+).*/\1/p' "$spec")

needed=(rpm rpmlint cmake g++ pkg-config libsystemd-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev pandoc)
missing=()
for p in "${needed[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt() { apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "$@"; }
    apt "${missing[@]}" >>"$log" 2>&1 ||
        { apt-get update -q >>"$log" 2>&1 && apt "${missing[@]}" >>"$log" 2>&1; } ||
        fail "apt-get install ${missing[*]}"
fi

topdir=$work/rpmbuild
rm -rf "$topdir"
mkdir -p "$topdir"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
step "tarball of the working tree"
tar -C "$top" --exclude=./.git --exclude='./build*' --exclude=./.cache \
    --transform "s,^\.,supervise-$version," -czf "$topdir/SOURCES/supervise-$version.tar.gz" . ||
    fail "tar"
cp "$spec" "$topdir/SPECS/"

# Fedora's macros (systemd-rpm-macros, cmake-rpm-macros) with the values they have there;
# Debian's rpm has none of them. Its brp-compress needs bash ('read -d'), not dash.
builddir=redhat-linux-build
fedora_macros=(
    --define "_unitdir /usr/lib/systemd/system"
    --define "_userunitdir /usr/lib/systemd/user"
    --define "_tmpfilesdir /usr/lib/tmpfiles.d"
    --define "_rundir /run"
    --define "_docdir_fmt %%{NAME}"
    --define "tmpfiles_create() /usr/bin/systemd-tmpfiles --create %{?*} >/dev/null 2>&1 || :"
    --define "cmake cmake -S . -B $builddir -DCMAKE_INSTALL_PREFIX:PATH=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo"
    --define "cmake_build cmake --build $builddir -j$(nproc)"
    --define "cmake_install DESTDIR=%{buildroot} cmake --install $builddir"
    --define "__brp_compress bash /usr/lib/rpm/brp-compress /usr"
)
step "rpmbuild -bb --nodeps"
rpmbuild -bb --nodeps --define "_topdir $topdir" "${fedora_macros[@]}" \
    "$topdir/SPECS/supervise.spec" >>"$log" 2>&1 || fail "rpmbuild (see $log)"
rpm_file=$(find "$topdir/RPMS" -name "supervise-$version-*.rpm" ! -name '*debug*' | head -1)
[ -n "$rpm_file" ] || fail "no supervise-$version rpm under $topdir/RPMS"

step "file list of ${rpm_file##*/}"
files=$(rpm -qlp "$rpm_file" 2>>"$log")
echo "$files" >&2
expected=(
    /usr/bin/supervise
    /usr/lib/systemd/system/supervise.slice
    /usr/lib/systemd/user/supervise.slice
    /usr/lib/tmpfiles.d/supervise.conf
    /usr/share/bash-completion/completions/supervise
    /usr/share/zsh/site-functions/_supervise
    /usr/share/doc/supervise/README.md
    /usr/share/doc/supervise/design.md
    /usr/share/doc/supervise/migrating.md
    /usr/share/doc/supervise/formats.md
    /usr/share/licenses/supervise/LICENSE
    /run/supervise
)
for f in "${expected[@]}"; do
    grep -qxF "$f" <<<"$files" || fail "$f not in the rpm"
done
# Fedora's rpmbuild compresses man pages, Debian's does not.
grep -qxE '/usr/share/man/man1/supervise\.1(\.gz|\.xz|\.zst)?' <<<"$files" || fail "supervise.1 not in the rpm"
rpm -qp --queryformat '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]' \
    "$rpm_file" 2>>"$log" | grep -qxF 'drwx------ root root /run/supervise' ||
    fail "/run/supervise is not a 0700 root root directory in the rpm"
rpm -qp --queryformat '%{VERSION}\n' "$rpm_file" 2>>"$log" | grep -qxF "$version" || fail "rpm version"

step "scriptlets"
scripts=$(rpm -qp --scripts "$rpm_file" 2>>"$log")
echo "$scripts" >&2
grep -q 'systemd-tmpfiles --create supervise.conf' <<<"$scripts" ||
    fail "%post does not create /run/supervise with systemd-tmpfiles"
grep -q 'rm -rf /run/supervise' <<<"$scripts" || fail "%postun does not remove /run/supervise"

step "the packaged binary"
extract=$work/extract
rm -rf "$extract"
mkdir -p "$extract"
(cd "$extract" && rpm2cpio "$rpm_file" | cpio -idm --quiet) 2>>"$log" || fail "rpm2cpio"
"$extract/usr/bin/supervise" --version | grep -qF "supervise $version " ||
    fail "packaged supervise --version is not $version"
systemd-analyze verify --man=no "$extract/usr/lib/systemd/system/supervise.slice" >>"$log" 2>&1 ||
    fail "systemd-analyze verify supervise.slice"

rpmlint_note="rpmlint not run"
if command -v rpmlint >/dev/null; then
    step "rpmlint"
    rpmlint_out=$work/rpmlint.txt
    # Fedora's rpmlint settings; supervise.rpmlintrc filters the intended findings (with reasons).
    rpmlint -c "$top/packaging/rpm/rpmlint-fedora.toml" -r "$top/packaging/rpm/supervise.rpmlintrc" "$rpm_file" "$spec" >"$rpmlint_out" 2>&1 || true
    cat "$rpmlint_out" >&2
    rpmlint_note=$(grep -oE '[0-9]+ errors, [0-9]+ warnings' "$rpmlint_out" | tail -1)
    rpmlint_note="rpmlint ${rpmlint_note:-output in $rpmlint_out}"
fi

summary "ok: built ${rpm_file##*/} ($(wc -l <<<"$files") files), file list and scriptlets as expected," \
        "--version $version; $rpmlint_note"

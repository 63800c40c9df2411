#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh [demo [KERNEL] | next]
#
# Install, through apt and only where missing, what hmm-dax needs on a
# Debian 12 machine.
#
# With no argument (make deps, make check): everything - build tools (also
# for the debug lane's kernel), the guest test bed's programs, the libraries
# the tool links against, PoCL, Chromium for the matrix report's check,
# kernel sources for the kselftest harness and the debug kernel, and the
# kernels with headers (kernels.sh): bookworm's 6.1 and bookworm-security's
# newest 6.12 on the host; sid's kernel and trixie-backports' newest, each
# inside a debootstrap chroot of its own distribution kept in the cache
# directory (chroot.sh), of which newest is the newer.
#
# With demo (make demo): only what the demo needs - the tool's and the
# module's build, QEMU, ndctl, the file-system tools, and the one kernel it
# boots: KERNEL is 6.12 (the default), 6.1, sid, newest, or a path (a
# kernel of your own: no kernel is installed).
#
# With next (make check KERNEL=next): experimental's release candidate into
# the sid chroot when it is newer than newest; exit 4 with the reason when
# it is not.
#
# Idempotent: a second run on a complete machine installs nothing.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernels.sh"

die() { echo "deps: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (apt-get install)"

profile=${1:-all}
kernel=${2:-6.12}
case "$profile" in
all|demo) ;;
next) kernel=next ;;
*) die "usage: deps.sh [demo [KERNEL] | next]" ;;
esac

# The demo: build the module and the tool (which takes a uapi header from
# linux-source-6.12), boot a guest, make the DAX targets.
demo_pkgs=(
	build-essential bc kmod cpio xz-utils libelf-dev pkg-config
	qemu-system-x86 busybox-static
	ndctl daxctl libndctl-dev libdaxctl-dev
	e2fsprogs xfsprogs util-linux
	libjson-c-dev ocl-icd-libopencl1 ocl-icd-opencl-dev libdrm-dev
	linux-source-6.12
)
# Everything else make check, bench, matrix and the debug lane use.
check_pkgs=(
	perl flex bison libssl-dev zstd debootstrap rsync
	jq gnuplot-nox pocl-opencl-icd chromium
	linux-source-6.1
)

updated=
apt_update() {
	[ -n "$updated" ] && return
	apt-get update -qq
	updated=1
}

# Newest 6.12 image from bookworm-security, resolved from the archive.
newest_612() {
	apt-cache pkgnames linux-headers-6.12. 2>/dev/null |
		grep -E '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		sed 's/^linux-headers-//' | sort -V | tail -n 1
}

missing=()
want_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
}

# want_kernel ALIAS: the packages of one of Debian's kernels on the host.
want_kernel() {
	local v
	case "$1" in
	6.1)
		want_pkgs linux-image-amd64 linux-headers-amd64
		;;
	6.12)
		[ -z "$(kernel_version 6.12 2>/dev/null)" ] || return 0
		apt_update
		v=$(newest_612)
		[ -n "$v" ] || die "no linux-headers-6.12.*+deb12-amd64 in the archive (is bookworm-security in apt's sources?)"
		missing+=("linux-image-$v" "linux-headers-$v")
		;;
	esac
}

want_pkgs "${demo_pkgs[@]}"
if [ "$profile" != demo ]; then
	want_pkgs "${check_pkgs[@]}"
	want_kernel 6.1
	want_kernel 6.12
else
	want_kernel "$kernel"
	case $kernel in
	sid|newest) want_pkgs debootstrap ;;
	esac
fi

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	echo "deps: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}"
fi

# Sid's kernel and trixie-backports', each built and booted from a minimal
# chroot of its distribution; newest is the newer of the two.
case $profile/$kernel in
all/*|*/newest|next/*)
	"$here/chroot.sh" sid
	"$here/chroot.sh" trixie
	;;
demo/sid)
	"$here/chroot.sh" sid
	;;
esac
[ "$profile" != next ] || exec "$here/chroot.sh" next

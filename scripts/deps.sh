#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, through apt and only where missing, everything hmm-dax needs on a
# Debian 12 machine: build tools (also for the debug lane's kernel), the
# guest test bed's programs, the libraries the tool links against, Chromium
# for the matrix report's check, kernel sources for the kselftest harness
# and the debug kernel, and three kernels with headers (bookworm's 6.1,
# bookworm-security's newest 6.12, and sid's newest inside a debootstrap
# chroot kept in the cache directory).
#
# Idempotent: a second run on a complete machine installs nothing.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernels.sh"

die() { echo "deps: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (apt-get install)"

pkgs=(
	build-essential bc kmod cpio xz-utils libelf-dev pkg-config perl
	flex bison libssl-dev zstd
	qemu-system-x86 busybox-static debootstrap
	ndctl daxctl libndctl-dev libdaxctl-dev
	e2fsprogs xfsprogs util-linux jq gnuplot-nox
	libjson-c-dev ocl-icd-libopencl1 ocl-icd-opencl-dev pocl-opencl-icd
	libdrm-dev chromium
	linux-source-6.1 linux-source-6.12
	linux-image-amd64 linux-headers-amd64
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

want_pkgs "${pkgs[@]}"
if [ -z "$(kernel_version 6.12 2>/dev/null)" ]; then
	apt_update
	v=$(newest_612)
	[ -n "$v" ] || die "no linux-headers-6.12.*+deb12-amd64 in the archive (is bookworm-security in apt's sources?)"
	missing+=("linux-image-$v" "linux-headers-$v")
fi

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	echo "deps: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}"
fi

# The newest kernel: sid's, built and booted from a minimal sid chroot.
"$here/sid-chroot.sh"

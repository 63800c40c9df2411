#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make (once) the minimal sid chroot that builds modules for, and provides the
# image of, Debian's newest kernel. It lives in $HMM_DAX_CACHE/sid, outside the
# repository. Re-running it only installs what is missing.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernels.sh"

mirror=${HMM_DAX_SID_MIRROR:-http://deb.debian.org/debian}
sid=$HMM_DAX_SID
# sid's Release file may be past its Valid-Until in a snapshot archive.
apt_opts=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false
	  -o Dpkg::Options::=--force-confdef -qq)

in_sid() {
	unshare -m -- sh -c 'mount -t proc proc "$1/proc" && shift && exec chroot "$@"' \
		sh "$sid" "$sid" "$@"
}

if [ ! -x "$sid/usr/bin/apt-get" ]; then
	echo "sid-chroot: debootstrap sid into $sid"
	rm -rf "${sid:?}.tmp"
	mkdir -p "$(dirname "$sid")"
	debootstrap --variant=minbase \
		--include=gcc,make,libc6-dev,bc,libelf-dev,kmod,xz-utils \
		sid "$sid.tmp" "$mirror" >"$HMM_DAX_CACHE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$HMM_DAX_CACHE/debootstrap.log" >&2; exit 1; }
	mv "$sid.tmp" "$sid"
fi

if [ -z "$(kernel_version newest)" ]; then
	echo "sid-chroot: installing sid's newest kernel and headers"
	in_sid apt-get "${apt_opts[@]}" update
	# linux-image-amd64 in sid is a meta package; the kernel proper may be
	# split into linux-binary-* and linux-modules-*: pull the headers' and
	# the image's dependencies and let apt resolve the split.
	DEBIAN_FRONTEND=noninteractive in_sid apt-get "${apt_opts[@]}" \
		install -y linux-image-amd64 linux-headers-amd64
	[ -n "$(kernel_version newest)" ] ||
		{ echo "sid-chroot: no kernel image with headers under $sid after install" >&2; exit 1; }
fi

# The benchmark's peer, lib/test_hmm.c, is built from the source of the
# newest kernel itself (Debian ships no test_hmm.ko).
v=$(kernel_version newest)
src=linux-source-$(echo "$v" | cut -d. -f1,2)
if ! ls "$sid/usr/src/$src.tar.xz" >/dev/null 2>&1; then
	echo "sid-chroot: installing $src (the test_hmm peer)"
	DEBIAN_FRONTEND=noninteractive in_sid apt-get "${apt_opts[@]}" \
		install -y "$src"
fi

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chroot.sh sid|trixie|next: make (once) the minimal chroot that builds
# modules for, and provides the image of, one of Debian's kernels, outside
# the repository under $HMM_DAX_CACHE.  Re-running it only installs what is
# missing.  A module must be built with the compiler its kernel's headers
# were built with, which is the one of the headers' own distribution:
#   sid     sid's released kernel, with sid's compiler ($HMM_DAX_CACHE/sid)
#   trixie  trixie-backports' kernel, with trixie's compiler
#           ($HMM_DAX_CACHE/trixie); "newest" when it is newer than sid's
#   next    experimental's release candidate, into the sid chroot (its
#           headers want sid's compiler), when it is newer than newest;
#           else nothing is installed and the exit status is 4
# The newest kernel's linux-source package comes too: the benchmark's
# peer, lib/test_hmm.c, is built from it (Debian ships no test_hmm.ko).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernels.sh"

mirror=${HMM_DAX_MIRROR:-http://deb.debian.org/debian}
# a snapshot archive's Release file may be past its Valid-Until
apt_opts=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false
	  -o Dpkg::Options::=--force-confdef -qq)

lane=${1:?usage: chroot.sh sid|trixie|next}
case $lane in
sid|next) suite=sid root=$HMM_DAX_SID ;;
trixie) suite=trixie root=$HMM_DAX_TRIXIE ;;
*) echo "chroot.sh: unknown chroot '$lane' (sid, trixie or next)" >&2; exit 2 ;;
esac

in_root() {
	unshare -m -- sh -c 'mount -t proc proc "$1/proc" && shift && exec chroot "$@"' \
		sh "$root" "$root" "$@"
}

apt_in_root() {
	DEBIAN_FRONTEND=noninteractive in_root apt-get "${apt_opts[@]}" "$@"
}

if [ ! -x "$root/usr/bin/apt-get" ]; then
	echo "chroot: debootstrap $suite into $root"
	rm -rf "${root:?}.tmp"
	mkdir -p "$(dirname "$root")"
	debootstrap --variant=minbase \
		--include=gcc,make,libc6-dev,bc,libelf-dev,kmod,xz-utils \
		"$suite" "$root.tmp" "$mirror" >"$root.debootstrap.log" 2>&1 ||
		{ tail -n 20 "$root.debootstrap.log" >&2; exit 1; }
	mv "$root.tmp" "$root"
fi

# add_source NAME LINE: one more apt source in the chroot
add_source() {
	local f=$root/etc/apt/sources.list.d/$1.list
	[ -f "$f" ] && return
	echo "$2" >"$f"
	apt_in_root update
}

# The package version apt would install of PACKAGE from RELEASE, or nothing.
candidate() {
	in_root apt-cache policy "$1" 2>/dev/null |
		awk -v rel="$2" '/^ +(\*\*\* )?[^ ]+ [0-9]+$/ { v = $1 == "***" ? $2 : $1; next }
				 $0 ~ " " rel "/" && v { print v; exit }'
}

case $lane in
sid)
	if [ -z "$(kernel_version sid)" ]; then
		echo "chroot: installing sid's kernel and headers"
		apt_in_root update
		# linux-image-amd64 is a meta package; the kernel proper may
		# be split into linux-binary-* and linux-modules-*
		apt_in_root install -y linux-image-amd64 linux-headers-amd64
		[ -n "$(kernel_version sid)" ] ||
			{ echo "chroot: no released kernel with headers under $root after install" >&2; exit 1; }
	fi
	;;
trixie)
	add_source backports "deb $mirror trixie-backports main"
	if [ -z "$(_kernel_pick "$root" "$_released")" ]; then
		echo "chroot: installing trixie-backports' kernel and headers"
		apt_in_root install -y -t trixie-backports linux-image-amd64 \
			linux-headers-amd64
		[ -n "$(_kernel_pick "$root" "$_released")" ] ||
			{ echo "chroot: no trixie-backports kernel with headers under $root after install" >&2; exit 1; }
	fi
	;;
next)
	add_source experimental "deb $mirror experimental main"
	rc=$(candidate linux-image-amd64 experimental)
	newest=$(dpkg-query --admindir="$(kernel_root newest)/var/lib/dpkg" \
		-W -f='${Version}' "linux-image-$(kernel_version newest)" 2>/dev/null) ||
		{ echo "chroot: set up newest first (make deps)" >&2; exit 2; }
	if [ -z "$rc" ] || dpkg --compare-versions "$rc" le "$newest"; then
		echo "chroot: experimental holds ${rc:-no kernel}, not newer than newest ($newest): no next kernel to test"
		exit 4
	fi
	if [ -z "$(kernel_version next)" ]; then
		echo "chroot: installing experimental's $rc"
		apt_in_root install -y -t experimental linux-image-amd64 \
			linux-headers-amd64
		[ -n "$(kernel_version next)" ] ||
			{ echo "chroot: no release candidate with headers under $root after install" >&2; exit 1; }
	fi
	exit 0
	;;
esac

# The peer's source, for the newest kernel, where it lives.
[ "$(kernel_root newest)" = "$root" ] || exit 0
v=$(kernel_version newest)
src=linux-source-$(echo "$v" | cut -d. -f1,2)
if ! ls "$root/usr/src/$src.tar.xz" >/dev/null 2>&1; then
	echo "chroot: installing $src (the test_hmm peer)"
	if [ "$lane" = trixie ]; then
		apt_in_root install -y -t trixie-backports "$src"
	else
		apt_in_root install -y "$src"
	fi
fi

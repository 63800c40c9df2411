#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-peer.sh
#
# The benchmark's peer: the kernel's own HMM test driver, lib/test_hmm.c,
# built out of tree from Debian's linux-source package of the newest kernel
# (sid chroot) into build/<version>/peer/test_hmm.ko.  Only the newest
# kernel has CONFIG_DEVICE_PRIVATE, which test_hmm needs; for the others the
# benchmark reports the peer as unavailable.  The source is not kept in the
# project.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

kver=$(kernel_version newest) ||
	{ echo "build-peer: the newest kernel is not set up (make deps)" >&2; exit 2; }
root=$(kernel_root newest)
series=$(echo "$kver" | cut -d. -f1,2)
tarball=$root/usr/src/linux-source-$series.tar.xz
src=$HMM_DAX_CACHE/test_hmm-$series
out=$top/build/$kver/peer

if [ ! -f "$src/.done" ] || [ "$tarball" -nt "$src/.done" ]; then
	[ -f "$tarball" ] ||
		{ echo "build-peer: $tarball missing: run make deps" >&2; exit 1; }
	rm -rf "${src:?}"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=2 \
		"linux-source-$series/lib/test_hmm.c" \
		"linux-source-$series/lib/test_hmm_uapi.h"
	touch "$src/.done"
fi
mkdir -p "$out"
cp -pu "$src/test_hmm.c" "$src/test_hmm_uapi.h" "$out/"
echo 'obj-m := test_hmm.o' >"$out/Kbuild"

if ! config=$(kernel_config newest) ||
   ! grep -q '^CONFIG_DEVICE_PRIVATE=y' "$config"; then
	echo "build-peer: $kver has no CONFIG_DEVICE_PRIVATE: no test_hmm peer" >&2
	exit 0
fi
[ "$out/test_hmm.ko" -nt "$out/test_hmm.c" ] && exit 0
mkdir -p "$root$top"
unshare -m -- sh -c 'r=$1; t=$2; shift 2
	mount -t proc proc "$r/proc" && mount --bind "$t" "$r$t" &&
	exec chroot "$r" "$@"' sh "$root" "$top" \
	make -s -C "$(kernel_build newest)" M="$out" modules

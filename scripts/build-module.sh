#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh ALIAS|VERSION|PATH [TARGET]
#
# Build hmm_dax.ko with W=1 for one kernel into build/<version>/, warnings
# being errors.  PATH is a kernel of your own (kernels.sh): the module
# builds against its tree.  Debian's chroot kernels (sid, newest, next)
# are built inside their chroot (kernels.sh: headers need the compiler of
# their own distribution), with the tree bound at the same path.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

want=$1 target=${2:-modules}
alias=
if kernel_is_path "$want" && [ -e "$want" ]; then
	why=$(kernel_check "$want") || { echo "build-module: $why" >&2; exit 2; }
	kernel_build "$want" >/dev/null || {
		echo "build-module: no kernel tree to build against for $want (its modules' build link is missing)" >&2
		exit 2
	}
	alias=$want
fi
for a in $HMM_DAX_KERNELS; do
	[ -z "$alias" ] || break
	v=$(kernel_version "$a" 2>/dev/null) || continue
	[ "$want" = "$a" ] || [ "$want" = "$v" ] || continue
	alias=$a
	break
done
[ -n "$alias" ] || { echo "build-module: kernel '$want' is not set up (make deps)" >&2; exit 2; }
kver=$(kernel_version "$alias")
root=$(kernel_root "$alias")
out=$top/build/$kver

# Kbuild writes objects beside their sources: give each kernel its own copy.
mkdir -p "$out/kernel"
cp -pu "$top/Kbuild" "$out/"
cp -pu "$top"/kernel/*.[ch] "$out/kernel/"
for f in "$out"/kernel/*.[ch]; do
	[ -e "$top/kernel/${f##*/}" ] || rm -f "$f"
done

cmd=(make -s -C "$(kernel_build "$alias")" M="$out" W=1 KCFLAGS=-Werror "$target")
# Debian's headers ask modules_install to sign with a key they do not ship
[ "$target" != modules_install ] || cmd+=(CONFIG_MODULE_SIG_ALL=)
# A kernel whose headers cannot build the module is an error, with the
# compiler the headers want beside the one that ran.
build_failed() {
	local want have

	want=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"/\1/p' \
		"$(kernel_config "$alias")" 2>/dev/null)
	have=$(chroot_run "$root" gcc --version 2>/dev/null | head -n 1)
	echo "build-module: hmm_dax.ko does not build for $kver in $root (headers built with '${want:-?}', compiler '${have:-none}')" >&2
	exit 1
}

# chroot_run ROOT CMD...: CMD in ROOT with /proc, the tree bound at the
# same path (and INSTALL_MOD_PATH too: modules_install writes there)
chroot_run() {
	local r=$1 dest=${INSTALL_MOD_PATH:-}
	shift
	if [ "$r" = / ]; then
		"$@"
		return
	fi
	mkdir -p "$r$top"
	[ -z "$dest" ] || mkdir -p "$dest" "$r$dest"
	unshare -m -- sh -c 'r=$1; t=$2; d=$3; shift 3
		mount -t proc proc "$r/proc" && mount --bind "$t" "$r$t" &&
		{ [ -z "$d" ] || mount --bind "$d" "$r$d"; } &&
		exec chroot "$r" "$@"' sh "$r" "$top" "$dest" "$@"
}

chroot_run "$root" "${cmd[@]}" || build_failed

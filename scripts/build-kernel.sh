#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh [--debug]
#
# Build a guest kernel from Debian's linux-source-6.12: x86_64_defconfig,
# the kernel's kvm_guest.config, selftests/config and selftests/vm/guest.config
# merged with the kernel's own merge_config.sh; --debug adds
# selftests/vm/debug.config (KASAN, lockdep, kmemleak, ...).  The tree is
# kept in the cache directory under a key of its inputs (the package
# version, the fragments, the compiler), so a second call with the same
# inputs builds nothing and a changed input builds a new tree.  An
# interrupted build resumes.  Prints the tree's path, which
# `hmm-dax-vm --kernel PATH` and `make check KERNEL=PATH` take.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

die() { echo "build-kernel: $*" >&2; exit 1; }
flavour=plain
case "${1:-}" in
--debug) flavour=debug ;;
'') ;;
*) echo "usage: build-kernel.sh [--debug]" >&2; exit 2 ;;
esac

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "$tarball missing: run make deps"
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
frags=("$top/selftests/config" "$top/selftests/vm/guest.config")
[ "$flavour" = plain ] || frags+=("$top/selftests/vm/debug.config")
# The key: the options asked for (not the comments around them).
key=$( { echo "$pkgver $flavour"; gcc --version | head -n 1
	 grep -h -E '^(CONFIG_|# CONFIG_)' "${frags[@]}" | sort; } |
	sha1sum | cut -c1-12)

base=$HMM_DAX_CACHE/kernel
src=$base/src-$pkgver
out=$base/$flavour-$key
mkdir -p "$base"

if [ ! -f "$src/.done" ]; then
	rm -rf "${src:?}"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	touch "$src/.done"
fi

if [ ! -f "$out/.done" ]; then
	# Trees of the same flavour built from other inputs are stale.
	for d in "$base/$flavour"-*; do
		[ "$d" = "$out" ] || rm -rf "${d:?}"
	done
	mkdir -p "$out"
	echo "build-kernel: $flavour kernel from linux-source-6.12 $pkgver in $out" >&2
	start=$(date +%s)
	printf 'CONFIG_LOCALVERSION="-hmm-dax%s"\n' \
		"$([ "$flavour" = plain ] || echo "-$flavour")" >"$out/local.config"
	make -s -C "$src" O="$out" x86_64_defconfig >&2
	(cd "$src" && KCONFIG_CONFIG="$out/.config" ./scripts/kconfig/merge_config.sh \
		-m -O "$out" "$out/.config" kernel/configs/kvm_guest.config \
		"${frags[@]}" "$out/local.config") >"$out/merge.log" 2>&1 ||
		{ cat "$out/merge.log" >&2; die "merge_config.sh failed"; }
	make -s -C "$src" O="$out" olddefconfig >&2
	# Every option the fragments ask for must have survived olddefconfig.
	missing=$(grep -h -E '^(CONFIG_[A-Z0-9_]+=|# CONFIG_[A-Z0-9_]+ is not set)' \
			"${frags[@]}" | sort -u | while read -r line; do
		case "$line" in
		'# '*) sym=${line#\# }; sym=${sym%% *}
			grep -q "^$sym=" "$out/.config" && echo "$line" ;;
		*) grep -qxF -- "$line" "$out/.config" || echo "$line" ;;
		esac
	done)
	[ -z "$missing" ] || die "olddefconfig dropped: $(echo $missing)"
	make -s -C "$src" O="$out" -j"$(nproc)" bzImage modules >&2
	echo $(( $(date +%s) - start )) >"$out/build-seconds"
	echo "build-kernel: built in $(cat "$out/build-seconds") s" >&2
	touch "$out/.done"
fi
echo "$out"

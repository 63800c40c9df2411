# SPDX-License-Identifier: GPL-2.0
#
# own-kernel.sh - your own kernel, named by a PATH where kernels.sh takes
# an alias (sourced by kernels.sh, whose accessors call these for a PATH).
# PATH is either a built kernel tree (its
# arch/x86/boot/bzImage, .config and modules built in the tree; an O=
# output directory will do) or a bzImage whose modules are in an
# INSTALL_MOD_PATH tree named by $HMM_DAX_MODULES (make modules_install
# INSTALL_MOD_PATH=DIR), else found in /lib/modules of this machine.
# A tree's modules are installed once into the cache for the guest (the
# tree itself is never written).  The module builds against the tree, or
# against the modules' build link for a bzImage.

# _own_check PATH: set _own_{kv,image,moddir,build,config} or print the
# one-line reason PATH cannot be booted and return 1.  Cached per PATH.  A
# tree's modules are staged later, by kernel_moddir (_own_tree is set).
_own_path=
_own_check() {
	local p=$1 d off kv mods
	[ "$_own_path" = "$p" ] && [ -n "$_own_kv" ] && return 0
	_own_path=$p _own_kv= _own_image= _own_moddir= _own_build= _own_config=
	_own_tree=
	if [ -d "$p" ]; then
		d=$(cd "$p" && pwd)
		if [ ! -f "$d/arch/x86/boot/bzImage" ]; then
			if [ -f "$d/Kconfig" ] || [ -f "$d/.config" ] || [ -L "$d/source" ]; then
				echo "$p is a kernel tree that was never built: no arch/x86/boot/bzImage (make bzImage modules)"
			else
				echo "$p is not a kernel tree: no arch/x86/boot/bzImage"
			fi
			return 1
		fi
		for f in .config include/config/kernel.release Module.symvers modules.order; do
			[ -f "$d/$f" ] && continue
			echo "$p: the tree has no $f (make bzImage modules)"
			return 1
		done
		kv=$(cat "$d/include/config/kernel.release")
		_own_image=$d/arch/x86/boot/bzImage _own_build=$d _own_config=$d/.config
		_own_tree=$d
	elif [ -f "$p" ]; then
		d=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
		# the boot protocol's header: "HdrS" at 0x202, the version
		# string's offset (less 0x200) at 0x20e
		if [ "$(dd if="$d" bs=1 skip=514 count=4 status=none)" != HdrS ]; then
			echo "$p is not a kernel tree or a bzImage (no boot header)"
			return 1
		fi
		off=$(od -An -tu2 -j 526 -N 2 "$d" | tr -d ' ')
		kv=$(dd if="$d" bs=1 skip=$((off + 512)) count=256 status=none |
			tr '\0' '\n' | head -n 1 | cut -d' ' -f1)
		mods=${HMM_DAX_MODULES:-}
		if [ -n "$mods" ]; then
			if [ -f "$mods/lib/modules/$kv/modules.dep" ]; then
				_own_moddir=$(cd "$mods/lib/modules/$kv" && pwd)
			elif [ -f "$mods/modules.dep" ] && [ "$(basename "$mods")" = "$kv" ]; then
				_own_moddir=$(cd "$mods" && pwd)
			else
				echo "$mods has no lib/modules/$kv/modules.dep (the modules of $p: make modules_install INSTALL_MOD_PATH=DIR)"
				return 1
			fi
		elif [ -f "/lib/modules/$kv/modules.dep" ]; then
			# the real path: the guest binds it over /usr/lib/modules
			_own_moddir=$(cd "/lib/modules/$kv" && pwd -P)
		else
			echo "the modules of $p ($kv) are not in /lib/modules/$kv: give --modules DIR (make modules_install INSTALL_MOD_PATH=DIR)"
			return 1
		fi
		_own_image=$d
		[ -f "$_own_moddir/build/Module.symvers" ] &&
			_own_build=$(cd "$_own_moddir/build" && pwd)
		for f in "$_own_moddir/build/.config" "$_own_moddir/config" \
			 "$(dirname "$d")/.config" "$(dirname "$d")/config-$kv"; do
			[ -f "$f" ] && { _own_config=$f; break; }
		done
		if [ -z "$_own_config" ]; then
			_own_config=$(_own_ikconfig "$d" "$kv") || {
				echo "no .config for $p: none in $_own_moddir/build, none beside it, and none built in (CONFIG_IKCONFIG)"
				return 1
			}
		fi
	else
		echo "unknown kernel '$p': not 6.1, 6.12, newest or all, and no kernel tree or bzImage there"
		return 1
	fi
	_own_kv=$kv
}

# _own_get VAR PATH: print _own_check's VAR for PATH; status 1 if PATH is
# no kernel or VAR is empty (a bzImage without a tree to build against).
_own_get() {
	_own_check "$2" >/dev/null && [ -n "${!1}" ] && echo "${!1}"
}

# _own_stage TREE RELEASE: install TREE's modules (and what modprobe needs
# to know of its built-in ones) into the cache; print the modules
# directory.  Keyed by the tree and its build, so a rebuilt tree is staged
# again.
_own_stage() {
	local t=$1 kv=$2 key dir m ko
	key=$( { echo "$t $kv"; ls -l --time-style=+%s "$t/modules.order" \
		 "$t/arch/x86/boot/bzImage" "$t/Module.symvers"; } | sha1sum | cut -c1-12)
	dir=$HMM_DAX_CACHE/own/$key/lib/modules/$kv
	if [ ! -f "$dir/modules.dep" ]; then
		rm -rf "${HMM_DAX_CACHE:?}/own/${key:?}"
		mkdir -p "$dir/kernel"
		for ko in $(sed 's/\.o$/.ko/' "$t/modules.order"); do
			if [ ! -f "$t/$ko" ]; then
				echo "$t: $ko is in modules.order but was not built (make modules)"
				rm -rf "${HMM_DAX_CACHE:?}/own/${key:?}"
				return 1
			fi
			mkdir -p "$dir/kernel/$(dirname "$ko")"
			cp "$t/$ko" "$dir/kernel/$ko"
			echo "kernel/$ko" >>"$dir/modules.order"
		done
		for m in modules.builtin modules.builtin.modinfo; do
			[ ! -f "$t/$m" ] || cp "$t/$m" "$dir/"
		done
		if ! depmod -b "$HMM_DAX_CACHE/own/$key" "$kv" 2>/dev/null; then
			echo "$t: depmod failed for $kv"
			rm -rf "${HMM_DAX_CACHE:?}/own/${key:?}"
			return 1
		fi
	fi
	echo "$dir"
}

# _own_ikconfig BZIMAGE RELEASE: the configuration built into a bzImage
# (CONFIG_IKCONFIG), extracted once into the cache; print its path.
_own_ikconfig() {
	local img=$1 kv=$2 out off
	out=$HMM_DAX_CACHE/own/config-$kv-$(sha1sum <"$img" | cut -c1-12)
	[ -f "$out" ] && { echo "$out"; return 0; }
	mkdir -p "$HMM_DAX_CACHE/own"
	# the compressed vmlinux starts at a gzip, xz or zstd magic; the
	# configuration inside it is a gzip stream after "IKCFG_ST"
	for off in $(LC_ALL=C grep -abo -P '\x1f\x8b\x08|\xfd7zXZ|\x28\xb5\x2f\xfd' "$img" |
		     cut -d: -f1); do
		tail -c +$((off + 1)) "$img" | { gzip -dc 2>/dev/null ||
			xz -dc 2>/dev/null || zstd -qdc 2>/dev/null; } >"$out.vmlinux"
		off=$(LC_ALL=C grep -abo IKCFG_ST "$out.vmlinux" | head -n 1 | cut -d: -f1)
		[ -n "$off" ] || continue
		tail -c +$((off + 9)) "$out.vmlinux" | gzip -dc 2>/dev/null >"$out.tmp"
		rm -f "$out.vmlinux"
		grep -q '^CONFIG_' "$out.tmp" && mv "$out.tmp" "$out" &&
			{ echo "$out"; return 0; }
	done
	rm -f "$out.vmlinux" "$out.tmp"
	return 1
}

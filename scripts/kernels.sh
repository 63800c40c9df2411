# SPDX-License-Identifier: GPL-2.0
#
# Kernel discovery shared by the Makefile, make deps and the guest test bed.
# A kernel is named by an alias, here, or by a PATH (anything else: your
# own kernel, own-kernel.sh).  The aliases are Debian's kernels:
#   6.1      bookworm's, on the host
#   6.12     bookworm-security's, on the host
#   sid      sid's released kernel (7.2 today), in the sid chroot
#   newest   the newest released kernel of sid and trixie-backports,
#            picked by version: trixie-backports' 7.3 today, in the trixie
#            chroot (its headers want trixie's compiler)
#   next     experimental's release candidate, in the sid chroot, when it
#            is newer than newest (make check KERNEL=next; not in CI)
# Each resolves to:
#   kernel_version ALIAS   the uname -r string
#   kernel_root ALIAS      the root its files live under: / for the host's
#                          packaged kernels, else the chroot
#   kernel_image ALIAS     the bzImage (path on the host)
#   kernel_moddir ALIAS    the directory holding modules.dep (on the host)
#   kernel_build ALIAS     the headers' build directory, as seen from
#                          kernel_root (make -C runs inside it)
#   kernel_config ALIAS    the kernel's .config (path on the host)
#   kernel_label ALIAS     the lane's name in summaries and file names: its
#                          version (6.1, 6.12, 7.2, 7.3, 7.4-rc2), or the
#                          release of a PATH kernel

: "${HMM_DAX_CACHE:=/var/cache/hmm-dax}"
# own-kernel.sh beside this file (from the Makefile's sh: scripts/)
if [ -n "${BASH_VERSION:-}" ]; then
	. "$(dirname "${BASH_SOURCE[0]}")/own-kernel.sh"
else
	. scripts/own-kernel.sh
fi
HMM_DAX_SID="$HMM_DAX_CACHE/sid"
HMM_DAX_TRIXIE="$HMM_DAX_CACHE/trixie"
HMM_DAX_KERNELS="6.1 6.12 sid newest next"
# The lanes make check runs: one per version (newest may be sid's).
HMM_DAX_LANES="6.1 6.12 sid newest"

# Released Debian kernels (7.3.4+deb13-amd64), and release candidates
# (7.3-amd64, from experimental).
_released='^[0-9]+\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64$'
_candidate='^[0-9]+\.[0-9]+-amd64$'

# kernel_is_path NAME: whether NAME is not one of the aliases
kernel_is_path() {
	case " $HMM_DAX_KERNELS " in
	*" $1 "*) return 1 ;;
	esac
	return 0
}

kernel_root() {
	kernel_is_path "$1" && { echo /; return; }
	case "$1" in
	6.1|6.12) echo / ;;
	sid|next) echo "$HMM_DAX_SID" ;;
	newest) _newest_root ;;
	*) return 1 ;;
	esac
}

# The chroot of the newest released kernel: trixie-backports' when it is
# newer than sid's (or sid has none), else sid's.
_newest_root() {
	local s t
	s=$(_kernel_pick "$HMM_DAX_SID" "$_released")
	t=$(_kernel_pick "$HMM_DAX_TRIXIE" "$_released")
	[ -n "$s$t" ] || return 1
	if [ -z "$s" ] || { [ -n "$t" ] &&
	   [ "$(printf '%s\n%s\n' "$s" "$t" | sort -V | tail -n 1)" = "$t" ]; }; then
		echo "$HMM_DAX_TRIXIE"
	else
		echo "$HMM_DAX_SID"
	fi
}

# Newest version under ROOT/lib/modules matching a pattern that has both an
# image and a build directory.
_kernel_pick() {
	local root=$1 pat=$2 v best=
	for v in $(ls "$root/usr/lib/modules" 2>/dev/null | grep -E "$pat" | sort -V); do
		[ -d "$root/usr/lib/modules/$v/build/" ] || continue
		[ -f "$root/boot/vmlinuz-$v" ] || [ -f "$root/usr/lib/modules/$v/vmlinuz" ] || continue
		best=$v
	done
	[ -n "$best" ] && echo "$best"
}

kernel_version() {
	kernel_is_path "$1" && { _own_get _own_kv "$1"; return; }
	case "$1" in
	6.1) _kernel_pick / '^6\.1\.0-[0-9]+-amd64$' ;;
	6.12) _kernel_pick / '^6\.12\.[0-9]+\+deb12-amd64$' ;;
	sid) _kernel_pick "$HMM_DAX_SID" "$_released" ;;
	newest) _kernel_pick "$(_newest_root)" "$_released" ;;
	next) _kernel_pick "$HMM_DAX_SID" "$_candidate" ;;
	*) return 1 ;;
	esac
}

kernel_image() {
	local root v
	kernel_is_path "$1" && { _own_get _own_image "$1"; return; }
	root=$(kernel_root "$1") && v=$(kernel_version "$1") || return 1
	if [ -f "$root/boot/vmlinuz-$v" ]; then
		echo "${root%/}/boot/vmlinuz-$v"
	else
		echo "$root/usr/lib/modules/$v/vmlinuz"
	fi
}

kernel_moddir() {
	local root v
	if kernel_is_path "$1"; then
		_own_check "$1" >/dev/null || return 1
		if [ -n "$_own_tree" ]; then
			_own_stage "$_own_tree" "$_own_kv"
		else
			echo "$_own_moddir"
		fi
		return
	fi
	root=$(kernel_root "$1") && v=$(kernel_version "$1") || return 1
	echo "${root%/}/usr/lib/modules/$v"
}

kernel_build() {
	local v
	kernel_is_path "$1" && { _own_get _own_build "$1"; return; }
	v=$(kernel_version "$1") || return 1
	echo "/usr/lib/modules/$v/build"
}

kernel_config() {
	local root v f
	kernel_is_path "$1" && { _own_get _own_config "$1"; return; }
	root=$(kernel_root "$1") && v=$(kernel_version "$1") || return 1
	for f in "${root%/}/boot/config-$v" "${root%/}/usr/lib/modules/$v/config" \
		 "${root%/}/usr/lib/modules/$v/build/.config"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# kernel_check ALIAS|PATH: nothing if the kernel can be booted, else the
# one-line reason it cannot, and status 1.
kernel_check() {
	if kernel_is_path "$1"; then
		_own_check "$1"
	elif ! kernel_version "$1" >/dev/null; then
		if [ "$1" = next ]; then
			echo "kernel 'next' is not set up (make deps-next installs experimental's candidate when it is newer than newest)"
		else
			echo "kernel '$1' is not set up (make deps installs 6.1, 6.12, sid and newest)"
		fi
		return 1
	fi
}

kernel_label() {
	local v root
	if kernel_is_path "$1"; then
		kernel_version "$1"
		return
	fi
	v=$(kernel_version "$1") || { echo "$1"; return; }
	if [ "$1" = next ]; then
		# 7.4~rc2-1~exp1: the candidate's number is in the package
		root=$(kernel_root next)
		dpkg-query --admindir="$root/var/lib/dpkg" -W \
			-f='${Version}\n' "linux-image-$v" 2>/dev/null |
			sed -n 's/^\([0-9.]*\)~\(rc[0-9]*\).*/\1-\2/p' | grep . ||
			echo "${v%-amd64}-rc"
		return
	fi
	echo "$v" | sed -E 's/^([0-9]+\.[0-9]+)[.-].*/\1/'
}

# kernel_lanes [ALIAS...]: the aliases that are set up, one per version
# (newest is left out where it is sid's kernel).
kernel_lanes() {
	local k v seen=
	[ $# -gt 0 ] || set -- $HMM_DAX_LANES
	for k in "$@"; do
		v=$(kernel_version "$k" 2>/dev/null) || continue
		case " $seen " in
		*" $v "*) continue ;;
		esac
		seen="$seen $v"
		echo "$k"
	done
}

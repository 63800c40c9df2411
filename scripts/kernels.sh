# SPDX-License-Identifier: GPL-2.0
#
# Kernel discovery shared by the Makefile, make deps and the guest test bed.
# A kernel is named by an alias (6.1, 6.12, newest) and resolves to:
#   kernel_version ALIAS   the uname -r string
#   kernel_root ALIAS      the root its files live under: / for the host's
#                          packaged kernels, the sid chroot for newest
#   kernel_image ALIAS     the bzImage (path on the host)
#   kernel_moddir ALIAS    the directory holding modules.dep (on the host)
#   kernel_build ALIAS     the headers' build directory, as seen from
#                          kernel_root (make -C runs inside it)
#   kernel_config ALIAS    the kernel's .config (path on the host)

: "${HMM_DAX_CACHE:=/var/cache/hmm-dax}"
HMM_DAX_SID="$HMM_DAX_CACHE/sid"
HMM_DAX_KERNELS="6.1 6.12 newest"

kernel_root() {
	case "$1" in
	newest) echo "$HMM_DAX_SID" ;;
	6.1|6.12) echo / ;;
	*) return 1 ;;
	esac
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
	case "$1" in
	6.1) _kernel_pick / '^6\.1\.0-[0-9]+-amd64$' ;;
	6.12) _kernel_pick / '^6\.12\.[0-9]+\+deb12-amd64$' ;;
	newest) _kernel_pick "$HMM_DAX_SID" '^[0-9]+\.[0-9]+.*-amd64$' ;;
	*) return 1 ;;
	esac
}

kernel_image() {
	local root v
	root=$(kernel_root "$1") && v=$(kernel_version "$1") || return 1
	if [ -f "$root/boot/vmlinuz-$v" ]; then
		echo "${root%/}/boot/vmlinuz-$v"
	else
		echo "$root/usr/lib/modules/$v/vmlinuz"
	fi
}

kernel_moddir() {
	local root v
	root=$(kernel_root "$1") && v=$(kernel_version "$1") || return 1
	echo "${root%/}/usr/lib/modules/$v"
}

kernel_build() {
	local v
	v=$(kernel_version "$1") || return 1
	echo "/usr/lib/modules/$v/build"
}

kernel_config() {
	local root v f
	root=$(kernel_root "$1") && v=$(kernel_version "$1") || return 1
	for f in "${root%/}/boot/config-$v" "${root%/}/usr/lib/modules/$v/config" \
		 "${root%/}/usr/lib/modules/$v/build/.config"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

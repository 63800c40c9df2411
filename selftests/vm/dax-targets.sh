#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dax-targets.sh ENVFILE
#
# Make the six DAX targets of the hmm_dax suite on the machine's six pmem
# regions, and write the variables that name them (HMM_DAX_EXT4, ...) to
# ENVFILE as shell exports.  The hmm-dax guest runs it at boot
# (guest-setup); a lab's test job runs it on a board (Documentation/ci.rst).
# Loads the DAX stack's modules; destroys what the regions held.
#
# Regions, in address order (memmap= on the kernel command line, or a
# board's own): ext4 fsdax, xfs fsdax, devdax 2M-aligned, devdax 1G-aligned
# (at least 1 GiB), ext4 fsdax mounted dax=inode, xfs (reflink=1) fsdax
# mounted dax=inode.  Swap on a loop device comes too, for the reclaim
# tests.  Exit status 1, with the step that failed, if anything fails.

set -uo pipefail
env=${1:?usage: dax-targets.sh ENVFILE}

fail() {
	echo "dax-targets: $*" >&2
	exit 1
}

modprobe -a nd_e820 nd_pmem dax_pmem device_dax ext4 xfs ||
	fail "the DAX stack's modules do not load"

# The nd bus probes regions asynchronously: wait (bounded) for all six.
# A few tenths of a second here; a KASAN kernel under TCG takes longer.
for ((i = 0; i < 600; i++)); do
	n=$(ls -d /sys/bus/nd/devices/namespace*.0 2>/dev/null | wc -l)
	[ "$n" -ge 6 ] && break
	sleep 0.1
done
[ "$n" -ge 6 ] || fail "expected 6 pmem namespaces, found $n"

# namespaces in region address order
# (no process substitution: a board's root may have no /dev/fd)
mapfile -t ns <<<"$(for r in /sys/bus/nd/devices/region*; do
	printf '%s %s\n' "$(cat "$r/resource")" "$(ls -d "$r"/namespace*.0)"
done | sort | awk '{ n = split($2, p, "/"); print p[n] }')"

make_ns() { # namespace mode align
	ndctl create-namespace -f -e "$1" -m "$2" -a "$3" >"/run/ns-$1.json"
}
# Set-up steps side by side (TCG gives one host thread per vCPU); fail if
# any of them failed.
pids=()
bg() { "$@" & pids+=($!); }
wait_all() {
	local p
	for p in "${pids[@]}"; do
		wait "$p" || fail "a set-up step failed (see above)"
	done
	pids=()
}

bg make_ns "${ns[0]}" fsdax 2M
bg make_ns "${ns[1]}" fsdax 2M
bg make_ns "${ns[2]}" devdax 2M
bg make_ns "${ns[3]}" devdax 1G
bg make_ns "${ns[4]}" fsdax 2M
bg make_ns "${ns[5]}" fsdax 2M
wait_all

blockdev() { sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p' "/run/ns-$1.json"; }
chardev() { sed -n 's/.*"chardev":"\([^"]*\)".*/\1/p' "/run/ns-$1.json"; }

mkfs_mount() { # dir device dax-option mkfs...
	local dir=$1 dev=$2 dax=$3
	shift 3
	mkdir -p "$dir"
	"$@" "$dev" && mount -o "$dax" "$dev" "$dir"
}
# Swap, for the tests of device writes that reclaim must keep: a loop
# device over a sparse file, so that a page read back from swap stays in
# the swap cache (zram, a synchronous device, skips the swap cache).
loop_swap() {
	if ! modprobe -q loop; then
		echo "dax-targets: $(uname -r) has no loop device (CONFIG_BLK_DEV_LOOP): no swap" >&2
		return 0
	fi
	truncate -s 512M /run/swap && loop=$(losetup -f --show /run/swap) &&
		mkswap -q "$loop" >/dev/null && swapon "$loop"
}
bg loop_swap
# ext4 aligned to 2 MiB, as pmem deployments make it, so fresh large files
# get 2 MiB extents (and PMD leaves)
bg mkfs_mount /mnt/ext4 "/dev/$(blockdev "${ns[0]}")" dax \
	mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512
bg mkfs_mount /mnt/xfs "/dev/$(blockdev "${ns[1]}")" dax \
	mkfs.xfs -q -f -d su=2m,sw=1 -m reflink=0
bg mkfs_mount /mnt/ext4-inode "/dev/$(blockdev "${ns[4]}")" dax=inode \
	mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512
bg mkfs_mount /mnt/xfs-reflink "/dev/$(blockdev "${ns[5]}")" dax=inode \
	mkfs.xfs -q -f -d su=2m,sw=1 -m reflink=1
wait_all

# On the dax=inode mounts, files made in dax/ are DAX (FS_XFLAG_DAX is
# inherited), files made beside it are not.
for d in /mnt/ext4-inode /mnt/xfs-reflink; do
	mkdir -p "$d/dax" && xfs_io -c "chattr +x" "$d/dax" ||
		fail "FS_XFLAG_DAX on $d/dax"
done
devdax_2m=/dev/$(chardev "${ns[2]}")
devdax_1g=/dev/$(chardev "${ns[3]}")
[ -e "$devdax_2m" ] && [ -e "$devdax_1g" ] ||
	fail "devdax nodes missing: $devdax_2m $devdax_1g"

cat >"$env" <<-ENV
export HMM_DAX_EXT4=/mnt/ext4
export HMM_DAX_XFS=/mnt/xfs
export HMM_DAX_EXT4_INODE=/mnt/ext4-inode
export HMM_DAX_XFS_REFLINK=/mnt/xfs-reflink
export HMM_DAX_DEVDAX_2M=$devdax_2m
export HMM_DAX_DEVDAX_1G=$devdax_1g
ENV

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
#
# guest-layout.sh - sourced by hmm-dax-vm and boot-count.sh: the machine
# every guest of the test bed is.
#
# guest_layout GB: sets $pmem, the memmap= arguments of the six pmem
# regions, and $mem, QEMU's -m.  3 GiB of RAM below 4 GiB (pc machine),
# then the regions in address order: ext4, xfs, devdax 2M (GB each),
# devdax 1G (a GiB more than it gives: its info block pushes the data to
# the next 1 GiB), ext4 dax=inode and xfs reflink dax=inode (1 GiB each),
# then 1 GiB more of RAM.
guest_layout() {
	local g=$1

	pmem="memmap=${g}G!4G memmap=${g}G!$((4 + g))G"
	pmem+=" memmap=${g}G!$((4 + 2 * g))G memmap=$((g + 1))G!$((4 + 3 * g))G"
	pmem+=" memmap=1G!$((5 + 4 * g))G memmap=1G!$((6 + 4 * g))G"
	mem=$((4 + 4 * g + 3))G
}

# guest_qemu IMAGE INITRD APPEND: sets the array $qemu, the QEMU command of
# a guest (to which callers add devices), with the layout of guest_layout.
guest_qemu() {
	qemu=(qemu-system-x86_64 -machine pc
	      -accel "${HMM_DAX_VM_ACCEL:-tcg,thread=single}"
	      -cpu "${HMM_DAX_VM_CPU:-max}" -smp 2 -m "$mem"
	      -nodefaults -no-reboot -display none
	      -kernel "$1" -initrd "$2" -append "$3")
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot-count.sh [--kernel K] [--append ARGS] N
#
# Boot kernel K (an alias or a PATH, as hmm-dax-vm takes; default 6.12) N
# times, on the test bed's machine and memory layout, into a minimal
# initramfs that waits for 20 s of uptime and counts the kernel's reports
# (BUG:, WARNING:, KASAN:, Oops); ARGS are added to the command line (as
# no5lvl).  Nothing of hmm-dax runs: this counts what the kernel reports on
# its own while booting.  Prints one line per boot and the total; the log
# of each boot with a report is kept in $HMM_DAX_CACHE/boot-count/.
#
# Exit status: 0 if no boot reported anything, 1 if one did, 2 on usage.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/scripts/kernels.sh"
. "$here/guest-layout.sh"

kernel=6.12 append=
usage() { echo "usage: boot-count.sh [--kernel K] [--append ARGS] N" >&2; exit 2; }
while [ $# -gt 1 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	*) usage ;;
	esac
done
n=${1:-}
case "$n" in ''|*[!0-9]*|0) usage ;; esac
why=$(kernel_check "$kernel") || { echo "boot-count: $why" >&2; exit 2; }
image=$(kernel_image "$kernel")

out=$HMM_DAX_CACHE/boot-count
mkdir -p "$out"
rd=$(mktemp -d) || exit 1
trap 'rm -rf "${rd:?}"' EXIT
mkdir -p "$rd/root/bin" "$rd/root/proc" "$rd/root/dev"
cp /bin/busybox "$rd/root/bin/"
for m in sh mount cat grep sleep poweroff dmesg; do
	ln -s busybox "$rd/root/bin/$m"
done
cat >"$rd/root/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
up=0
while [ "$up" -lt 20 ]; do
	sleep 1
	up=$(cat /proc/uptime)
	up=${up%%.*}
done
n=$(dmesg | grep -c -E "BUG:|WARNING:|KASAN:|Oops")
echo "reports=$n" >/dev/ttyS1
[ "$n" = 0 ] || dmesg >/dev/ttyS1
poweroff -f
INIT
chmod +x "$rd/root/init"
(cd "$rd/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$rd/initrd"

guest_layout 1
guest_qemu "$image" "$rd/initrd" \
	"console=ttyS0 quiet panic=-1 oops=panic nokaslr $pmem $append"
bad=0
for ((i = 1; i <= n; i++)); do
	: >"$rd/status"
	timeout 600 "${qemu[@]}" -serial null -serial "file:$rd/status" \
		</dev/null >/dev/null 2>&1
	r=$(head -n 1 "$rd/status" | tr -d "\r")
	echo "boot $i: ${r:-no status (the guest died)}"
	if [ "$r" != reports=0 ]; then
		bad=$((bad + 1))
		cp "$rd/status" "$out/$(kernel_label "$kernel")-$i-$(date +%s).log"
		grep -m 3 -E "BUG:|WARNING:|KASAN:|Oops" "$rd/status"
	fi
done
echo "$bad of $n boots of $(kernel_label "$kernel") reported (added to the command line: ${append:-nothing})"
[ "$bad" = 0 ]

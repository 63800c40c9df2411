#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lava.sh OUTDIR
#
# make lava: hmm-dax's LAVA job (selftests/lava/job.yaml) run with Debian's
# own dispatcher, lava-run, on this machine, the way a LAVA lab runs it:
#  1. Debian's lava-dispatcher (apt, without recommends) and LAVA's device
#     types (qemu.jinja2 and its bases, from the lava-server package,
#     unpacked into the cache, not installed);
#  2. the kernel and the kselftest tarball of the 6.12 tree hmm-dax builds
#     (the debug kernel; kselftest-gen_tar as kselftest-check.sh makes it);
#  3. the root file system: debootstrap --variant=minbase bookworm with
#     ndctl and the file-system tools, the kernel's modules, the tarball
#     unpacked in /opt/kselftest, dax-targets.sh and ksft-results.awk in
#     /opt/hmm-dax, packed as an initramfs (cached);
#  4. the job with file:// URLs, checked with LAVA's own schema
#     (lava_common.schemas.validate), the device dictionary rendered from
#     selftests/lava/qemu-pmem.jinja2 with the job's context;
#  5. lava-run; LAVA's per-test results (OUTDIR/lava.txt) beside make
#     check's 6.12 suite part, named by the same rules (ksft-compare.sh).
# Exit 1 if lava-run fails or a result differs (a skip against a pass, a
# difference of environment, is listed but does not count).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

out=${1:?usage: lava.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
py=/usr/bin/python3	# Debian's, with LAVA's modules
lava=$top/selftests/lava
cache=$HMM_DAX_CACHE/lava
mkdir -p "$cache"
step() { echo "lava: $* ($((SECONDS - t0)) s)"; }
t0=$SECONDS

# 1. the dispatcher and the device types
if ! command -v lava-run >/dev/null; then
	step "installing lava-dispatcher"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends lava-dispatcher >"$cache/apt.log" 2>&1 ||
		{ tail -n 20 "$cache/apt.log" >&2; exit 1; }
fi
types=$cache/server/usr/share/lava-server/device-types
if [ ! -f "$types/qemu.jinja2" ]; then
	step "unpacking LAVA's device types from lava-server"
	rm -rf "$cache/server" "$cache/deb"
	mkdir -p "$cache/deb"
	(cd "$cache/deb" &&
		 apt-get download -qq -o APT::Sandbox::User=root lava-server) &&
		dpkg-deb -x "$cache"/deb/lava-server_*.deb "$cache/server"
fi
step "$(dpkg-query -W -f='lava-dispatcher ${Version}' lava-dispatcher)"

# 2. the kernel and its kselftest tarball
obj=$("$here/build-kernel.sh" --debug)
src=$(readlink -f "$obj/source")
kv=$(kernel_version "$obj")
tarball=$out/kselftest.tar.gz
"$here/kselftest-tree.sh" "$src" "$obj" "$tarball" >/dev/null
step "kernel $kv and its kselftest tarball"

# 3. the root file system (debootstrap once; the rest every time)
base=$cache/bookworm
if [ ! -x "$base/usr/bin/ndctl" ]; then
	step "debootstrap bookworm with ndctl and the file-system tools"
	rm -rf "$base.tmp"
	debootstrap --variant=minbase \
		--include=ndctl,e2fsprogs,xfsprogs,util-linux,kmod,procps,gawk \
		bookworm "$base.tmp" "${HMM_DAX_MIRROR:-http://deb.debian.org/debian}" \
		>"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
	rm -rf "$base.tmp"/var/cache/apt/archives/*.deb \
		"$base.tmp"/usr/share/{doc,man,locale,info}/*
	chroot "$base.tmp" passwd -qd root
	mv "$base.tmp" "$base"
fi
root=$(mktemp -d "$cache/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
cp -a "$base/." "$root/"
echo hmm-dax >"$root/etc/hostname"
# the kernel's modules, as the test bed stages them
moddir=$(kernel_moddir "$obj")
mkdir -p "$root/usr/lib/modules"
cp -a "$moddir" "$root/usr/lib/modules/$kv"
mkdir -p "$root/opt/kselftest" "$root/opt/hmm-dax"
tar -xzf "$tarball" -C "$root/opt/kselftest"
cp "$top/selftests/vm/dax-targets.sh" "$top/selftests/ksft-results.awk" \
	"$root/opt/hmm-dax/"
cat >"$root/init" <<-'INIT'
#!/bin/sh
# PID 1 of the LAVA root: the pseudo file systems, then a getty on the
# serial console for LAVA's auto_login.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# what udev would make: the kselftest runner appends to /dev/stdout
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
hostname hmm-dax
while :; do
	/sbin/agetty -L 115200 ttyS0 vt100
done
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio --quiet -o -H newc | gzip -1) >"$out/rootfs.cpio.gz"
step "root file system $(du -h "$out/rootfs.cpio.gz" | cut -f1)"

# 4. the job and the device
sed -e "s|@KERNEL@|file://$obj/arch/x86/boot/bzImage|" \
	-e "s|@ROOTFS@|file://$out/rootfs.cpio.gz|" \
	-e "s|@APPEND@|console=ttyS0,115200 rdinit=/init no5lvl memmap=1G!4G memmap=1G!5G memmap=1G!6G memmap=2G!7G memmap=1G!9G memmap=1G!10G|" \
	"$lava/job.yaml" >"$out/job.yaml"
"$py" -c 'import sys, yaml
from lava_common.schemas import validate
validate(yaml.safe_load(open(sys.argv[1])), strict=True)' "$out/job.yaml"
step "the job passes LAVA's schema (lava_common.schemas.validate, strict)"
"$py" "$lava/render-device.py" "$lava/qemu-pmem.jinja2" "$out/job.yaml" \
	"$types" "$out/device.yaml"

# 5. lava-run, and its results beside make check's
rm -rf "$out/run"
step "lava-run"
set +e
lava-run --device "$out/device.yaml" --output-dir "$out/run" --job-id 1 \
	"$out/job.yaml" >"$out/lava-run.log" 2>&1
rc=$?
set -e
step "lava-run exit $rc; $(grep -o 'result: [a-z]*' "$out/run/result.yaml" 2>/dev/null | head -n 1)"
"$py" "$lava/results.py" "$out/lava-run.log" >"$out/lava.txt"
[ "$rc" = 0 ] || exit 1
"$here/ksft-compare.sh" "$top/build/check/6.12.log" "$out/lava.txt" lava

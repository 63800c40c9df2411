#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-lane.sh [--leak] [--quick]
#
# The guest side of `make check-debug`, in one boot of the debug kernel
# (KASAN, lockdep, kmemleak, DEBUG_VM, DEBUG_LIST, DEBUG_OBJECTS):
# `hmm-dax compare --scenario all` on every target, `hmm-dax stress`,
# `hmm-dax fuzz` (200 s on each of three targets) and the whole kselftest
# suite, then a kmemleak scan against a baseline taken before them, and
# every report in the kernel log accounted for (kernel_log).
# TAP on stdout; any report is printed and fails the lane.
#
# --leak proves the lane fails: hmm_dax's fault_inject 0x10 leaks one
# allocation at one open of /dev/hmm_dax0, and the kmemleak check must
# report it (the lane then exits non-zero, as it should).  --quick runs
# only the compare on the 2 MiB device-dax node between baseline and scan.

set -uo pipefail
root=${HMM_DAX_ROOT:?run in the hmm-dax guest}
tool=$root/build/hmm-dax
kmemleak=/sys/kernel/debug/kmemleak
param=/sys/module/hmm_dax/parameters/fault_inject
# shellcheck source=../hmm_dax_lib.sh
. "$root/selftests/hmm_dax_lib.sh"
kernel_log=$(hmm_dax_program kernel_log)

uptime_s() { cut -d' ' -f1 /proc/uptime; }
# since T0: the seconds from uptime T0 to now
since() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.0f s", b - a }'; }

leak=0 quick=0
for a in "$@"; do
	case "$a" in
	--leak) leak=1 ;;
	--quick) quick=1 ;;
	*) echo "usage: debug-lane.sh [--leak] [--quick]" >&2; exit 2 ;;
	esac
done

[ -w "$kmemleak" ] || skip "no $kmemleak: not a kmemleak kernel"
[ -n "$kernel_log" ] || skip "kernel_log not built (make selftests)"
echo "# $(uname -r), up $(uptime_s) s"
# The fuzzer: 200 s per target, a seed the log prints to replay it.
fuzz_seconds=200
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')

# What the kernel had found before hmm-dax ran is the baseline: kmemleak
# reports only objects that become unreferenced after "clear".
echo scan >"$kmemleak"
echo clear >"$kmemleak"

if [ "$leak" = 1 ]; then
	echo 0x10 >"$param"
	: </dev/hmm_dax0
	echo 0 >"$param"
	echo "# fault_inject 0x10: one open of /dev/hmm_dax0 leaked 64 bytes"
fi

time_of() { # NAME CMD...: run CMD, its output as TAP comments, ok if 0
	local name=$1 t0 rc
	shift
	t0=$(uptime_s)
	"$@" 2>&1 | comment
	rc=${PIPESTATUS[0]}
	echo "# $name: $(since "$t0")"
	if [ "$rc" = 0 ]; then ok "$name"; else not_ok "$name: exit $rc"; fi
}

# The whole run: the tool on every target, then the suite, whose TAP goes
# out as it is (make check-debug counts its tests).  The suite ends with
# its poison tests, which leave pages of the device-dax nodes and of the
# dax=inode file systems poisoned until reboot: nothing may follow them.
full_run() {
	local t0 rc

	time_of "compare --scenario all on every target" \
		"$tool" compare --size 16M --scenario all \
		"$HMM_DAX_EXT4/debug-lane" "$HMM_DAX_XFS/debug-lane" \
		"$HMM_DAX_XFS_REFLINK/dax/debug-lane" \
		"$HMM_DAX_EXT4_INODE/debug-lane" \
		"$HMM_DAX_DEVDAX_2M" "$HMM_DAX_DEVDAX_1G" /tmp/debug-lane anon
	time_of "stress on devdax-2M" "$tool" stress --size 8M --threads 2 \
		--seconds 10 "$HMM_DAX_DEVDAX_2M"
	time_of "stress on ext4" "$tool" stress --size 8M --threads 2 \
		--seconds 10 "$HMM_DAX_EXT4/debug-stress"
	for t in "$HMM_DAX_DEVDAX_2M" "$HMM_DAX_EXT4/debug-fuzz" anon; do
		time_of "fuzz $t for $fuzz_seconds s" "$tool" fuzz \
			--seconds "$fuzz_seconds" --threads 2 --seed "$seed" "$t"
	done
	rm -f "$HMM_DAX_EXT4/debug-lane" "$HMM_DAX_XFS/debug-lane" \
		"$HMM_DAX_XFS_REFLINK/dax/debug-lane" \
		"$HMM_DAX_EXT4_INODE/debug-lane" \
		"$HMM_DAX_EXT4/debug-stress" "$HMM_DAX_EXT4/debug-fuzz" \
		/tmp/debug-lane

	t0=$(uptime_s)
	"$root/selftests/run_tests.sh"
	rc=$?
	echo "# kselftest suite: $(since "$t0"), exit $rc"
	[ "$rc" = 0 ] || not_ok "kselftest suite: exit $rc"
	[ -e /sys/module/hmm_dax ] || not_ok "the suite left hmm_dax unloaded"
}

if [ "$quick" = 1 ]; then
	time_of "compare --scenario all on devdax-2M" \
		"$tool" compare --size 16M --scenario all "$HMM_DAX_DEVDAX_2M"
else
	full_run
fi

# kmemleak reports objects older than 5 s that nothing points to ("scan"
# is synchronous; the runs above took longer than that), and only from the
# second scan that finds one unreferenced (the first records its checksum):
# so each check scans twice.  Once with the module loaded, so that its
# frames have names, and once more after it is unloaded, for what its exit
# left behind ("clear" keeps the first suspects out of the second list).
kmemleak_check() { # WHEN
	local leaks

	echo scan >"$kmemleak"
	echo scan >"$kmemleak"
	leaks=$(cat "$kmemleak")
	if [ -z "$leaks" ]; then
		ok "kmemleak $1: no unreferenced object"
	else
		echo "$leaks" | comment
		not_ok "kmemleak $1: $(grep -c '^unreferenced object' <<<"$leaks") unreferenced object(s) (above)"
	fi
	echo clear >"$kmemleak"
}
kmemleak_check "with hmm_dax loaded"
if rmmod hmm_dax; then
	kmemleak_check "after rmmod hmm_dax"
else
	not_ok "rmmod hmm_dax"
fi

# Every report in the kernel log, from boot on, attributed or failing
# (kernel_log, known_bugs.h), the debug options' own reports included.
kernel_log_check "the debug lane"
exit $failed

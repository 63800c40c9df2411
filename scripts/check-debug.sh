#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh [--leak]
#
# make check-debug: build (or reuse) the debug kernel from linux-source-6.12
# (build-kernel.sh --debug), build hmm-dax for it, and run the debug lane
# (selftests/vm/debug-lane.sh) in one boot of it.  Prints the kernel's
# build time, the lane's time and its summary; exits non-zero on any
# failure or report.
#
# --leak (make check-debug-proof) shows that the lane can fail: the
# driver leaks one allocation (fault_inject 0x10) before a short run, and
# this script passes only if the lane fails with a kmemleak report of it.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

leak=
case "${1:-}" in
--leak) leak=1 ;;
'') ;;
*) echo "usage: check-debug.sh [--leak]" >&2; exit 2 ;;
esac

tree=$("$here/build-kernel.sh" --debug)
kv=$(kernel_version "$tree")
echo "check-debug: $kv, built in $(cat "$tree/build-seconds") s on $(nproc) CPUs"
make -C "$top" all KERNEL="$tree"

out=$top/build/check
mkdir -p "$out"
name=debug${leak:+-leak}
args=()
[ -z "$leak" ] || args=(--leak --quick)
start=$(date +%s)
# no5lvl: with 5-level paging (QEMU's -cpu max has LA57) this KASAN kernel
# reported a wild-memory-access in do_raw_spin_lock() in 3 boots of 30,
# before any module; with no5lvl in none of 30 (Documentation/
# hmm-dax-kernel.rst).  The lane tests hmm-dax, not that.
set +e
HMM_DAX_VM_APPEND="no5lvl ${HMM_DAX_VM_APPEND:-}" \
"$top/selftests/vm/hmm-dax-vm" --kernel "$tree" --timeout 7200 -- \
	"$top/selftests/vm/debug-lane.sh" "${args[@]}" >"$out/$name.log" 2>&1
rc=$?
set -e
echo "check-debug: the lane took $(( $(date +%s) - start )) s (boot included), exit $rc"
awk -v name="$name" -v status=$rc -f "$top/selftests/tap-summary" \
	"$out/$name.log" >"$out/$name.sum" || true
if [ -z "$leak" ]; then
	grep -E '^# (kselftest suite|compare|stress)' "$out/$name.log" || true
	# the reports themselves, if any, for the record
	grep -E '^not ok' -B 40 "$out/$name.log" | grep '^# ' | tail -n 80 || true
	cat "$out/$name.sum"
	exit $rc
fi
# The proof: the lane failed, and for the leak.
grep -A 20 '^# unreferenced object' "$out/$name.log" | head -n 24
if [ "$rc" != 0 ] &&
   grep -q '^not ok .* kmemleak with hmm_dax loaded: 1 unreferenced object' "$out/$name.log" &&
   grep -q '^#  .*hmm_dax_open+0x' "$out/$name.log"; then
	echo "check-debug: with fault_inject 0x10 the lane failed with hmm_dax_open's leak, as it must"
	exit 0
fi
echo "check-debug: with fault_inject 0x10 the lane did not report the leak (exit $rc)" >&2
cat "$out/$name.sum" >&2
exit 1

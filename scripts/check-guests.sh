#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-guests.sh DIR [--testbed] KERNEL...
#
# The guest parts of make check, for each KERNEL: the kselftest suite, the
# fault-injection proof (KERNEL-knobs) and the tool's tests (KERNEL-tool),
# each in a guest of its own; with --testbed also the test bed's own tests
# (selftests/vm/testbed-tests.sh, which boot guests of their own).  They share no state, so they run side by
# side: as many guests at once as there are CPUs (a TCG guest uses one) and
# as memory allows (HMM_DAX_JOBS overrides), the longest parts first.  Each
# part's output goes to DIR/NAME.log and its summary (selftests/tap-summary)
# to DIR/NAME.sum; a line says when each part ends.  The summaries are then
# read in a fixed order (check-total.sh).

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

usage="usage: check-guests.sh DIR [--testbed] KERNEL..."
dir=${1:?$usage}
shift
testbed=0
[ "${1:-}" != --testbed ] || { testbed=1; shift; }
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
mkdir -p "$dir"

# A guest's RAM and pmem regions may all be touched: 11 GiB each.
guest_kib=$((11 * 1024 * 1024))
mem_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
jobs=$(nproc)
[ $((mem_kib / guest_kib)) -ge "$jobs" ] || jobs=$((mem_kib / guest_kib))
[ "$jobs" -ge 1 ] || jobs=1
jobs=${HMM_DAX_JOBS:-$jobs}

# The parts, longest first: NAME KERNEL TIMEOUT COMMAND (KERNEL "-": a
# host command).
parts=()
[ "$testbed" = 0 ] || parts+=("testbed - 0 selftests/vm/testbed-tests.sh")
for p in tool knobs suite; do
	for k in "$@"; do
		l=$(kernel_label "$k") || exit 2
		case $p in
		tool) parts+=("$l-tool $k 1200 selftests/tool_tests.sh") ;;
		knobs) parts+=("$l-knobs $k 900 selftests/knob_proof.sh") ;;
		suite) parts+=("$l $k 1800 selftests/run_tests.sh") ;;
		esac
	done
done

start=$SECONDS
run_part() { # NAME KERNEL TIMEOUT COMMAND
	local name=$1 k=$2 t=$3 cmd=$4 s=$SECONDS rc

	if [ "$k" = - ]; then
		"$top/$cmd" >"$dir/$name.log" 2>&1 </dev/null
	else
		"$top/selftests/vm/hmm-dax-vm" --kernel "$k" --timeout "$t" -- \
			"$top/$cmd" >"$dir/$name.log" 2>&1 </dev/null
	fi
	rc=$?
	awk -v name="$name" -v status=$rc -f "$top/selftests/tap-summary" \
		"$dir/$name.log" >"$dir/$name.sum"
	echo "check: $name done in $((SECONDS - s)) s, $(head -n 1 "$dir/$name.sum" | cut -d: -f2-)"
}

echo "check: ${#parts[@]} guest parts, $jobs at a time"
running=0
for part in "${parts[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	read -r name k t cmd <<<"$part"
	run_part "$name" "$k" "$t" "$cmd" &
	running=$((running + 1))
done
wait
echo "check: guest parts done in $((SECONDS - start)) s"

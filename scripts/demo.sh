#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh KERNEL TARGETS
#
# make demo: install what the demo needs (deps.sh demo KERNEL), build the
# module for KERNEL and the tool, boot a guest of KERNEL and run
# `hmm-dax compare --scenario all` on TARGETS (as the guest's shell reads
# them: the Makefile's DEMO_TARGETS, every DAX target and the non-DAX
# controls), ending with one table.  KERNEL is 6.12, 6.1, sid, newest, or the
# path of a kernel of your own.
#
# Each stage is named with the time since the start: on a terminal a line
# that counts the seconds while the stage runs (its output goes to a log
# shown if it fails), on a pipe one line per stage.  In the guest, compare
# names each target and scenario as it runs it.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
kernel=${1:?usage: demo.sh KERNEL TARGETS}
targets=${2:?usage: demo.sh KERNEL TARGETS}
start=$SECONDS
log=$(mktemp) || exit 1
trap 'rm -f "${log:?}"' EXIT
tty=0
[ -t 1 ] && tty=1

elapsed() { printf '%d:%02d' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)); }

# stage NAME CMD...: run CMD with its output in the log; on a terminal a
# line counts the time meanwhile.  A failure shows the log and ends the demo.
stage() {
	local name=$1 pid rc
	shift
	if [ "$tty" = 0 ]; then
		echo "demo: $name (at $(elapsed))"
		"$@" >"$log" 2>&1
		rc=$?
	else
		"$@" >"$log" 2>&1 &
		pid=$!
		while kill -0 "$pid" 2>/dev/null; do
			printf '\r\033[Kdemo: %s ... %s' "$name" "$(elapsed)"
			sleep 1
		done
		wait "$pid"
		rc=$?
		printf '\r\033[Kdemo: %s, done at %s\n' "$name" "$(elapsed)"
	fi
	if [ "$rc" != 0 ]; then
		cat "$log" >&2
		echo "demo: $name failed (exit $rc)" >&2
		exit "$rc"
	fi
}

stage "installing what the demo needs" "$here/deps.sh" demo "$kernel"
stage "building the module for $kernel" "$here/build-module.sh" "$kernel"
stage "building the tool" make -s -C "$top" userspace

tool=$top/build/hmm-dax
# On a pipe compare prints a line per scenario, not a counting line.
progress=
[ "$tty" = 1 ] || progress="HMM_DAX_PROGRESS=lines"
echo "demo: booting $kernel and comparing (at $(elapsed))"
"$top/selftests/vm/hmm-dax-vm" --kernel "$kernel" --timeout 1800 -- \
	sh -c "$progress $tool compare --size 16M --scenario all $targets"
rc=$?
echo "demo: done at $(elapsed), exit $rc"
exit "$rc"

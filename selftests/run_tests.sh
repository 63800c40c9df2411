#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the hmm_dax kselftests, each program of the suite in turn (SUITE_PROGS
# of suite.mk, in its order), then account for every report in the kernel
# log (kernel_log: a report no known kernel bug names fails the run).  One
# TAP stream: each program's own, then the log check's result, numbered
# after all of theirs.  The programs that mirror (SUITE_ENTRY_PROGS) run
# once per HMM entry point the kernel offers (entry_points: locked, and
# unlocked on 7.3 on), with $HMM_DAX_ENTRY naming it.  Arguments go to every program (the harness's -r,
# -f, ... select tests; a program none of whose tests is selected runs
# none).  Exit status: that of the first program that failed (a program
# that skipped as a whole does not hide another's failure), else the log
# check's.  Skips (kselftest exit 4) with the reason when the machine cannot
# run them: not root, no hmm_dax module, no pmem.  In the hmm-dax guest the
# module is loaded and the DAX targets are set up.

set -u
# shellcheck source=hmm_dax_lib.sh
. "$(dirname "$0")/hmm_dax_lib.sh"

hmm_dax_prepare
ls /dev/pmem* /dev/dax* >/dev/null 2>&1 ||
	echo "# no pmem or device-dax: DAX variants will skip (see selftests/config)"
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
# The entry points the kernel offers the driver (locked, and unlocked on
# 7.3 on): the programs that mirror run through each, one after the other.
entries=$("$bindir/entry_points") || { not_ok "entry points: cannot tell"; exit 1; }
mapfile -t entry_progs < <(hmm_dax_suite_progs SUITE_ENTRY_PROGS)
echo "# entry points:" $entries

# run PROGRAM [ENTRY] ARGS...: one program of the suite, its TAP out and
# counted; a failure is kept in rc, a whole-program skip (4, in its TAP)
# does not hide another program's failure.
rc=0
run() {
	local p=$1 entry=$2 status plan
	shift 2
	echo "# $p${entry:+ (entry point $entry)}"
	HMM_DAX_ENTRY=$entry "$bindir/$p" "$@" | tee "$out"
	status=${PIPESTATUS[0]}
	[ "$status" = "$ksft_skip" ] && status=0
	[ "$rc" = 0 ] && rc=$status
	# the log check is one more result after all the programs' own
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | head -n 1)
	n=$((n + ${plan:-0}))
}

for p in "${progs[@]}"; do
	if [[ " ${entry_progs[*]} " != *" $p "* ]]; then
		run "$p" "" "$@"
		continue
	fi
	for e in $entries; do
		run "$p" "$e" "$@"
	done
done
kernel_log_check "the suite"
[ "$rc" != 0 ] && exit "$rc"
exit "$failed"

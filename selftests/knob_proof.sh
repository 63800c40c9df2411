#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# knob_proof.sh - prove that the hmm_dax selftests catch the bugs that the
# module's fault_inject parameter plants on purpose.  Run it as root in the
# hmm-dax guest (selftests/vm/hmm-dax-vm) after the suite: knob 0x4 leaks a
# dev_pagemap reference for good, so it runs last, and afterwards no
# device-dax can be unbound and no test may expect the references balanced.
#
#   knob  planted bug                               tests that must fail
#   0x1   invalidations zap nothing                 mirror.devdax_2m.munmap
#                                                   mirror.xfs.msync
#                                                   reflink.fsdax.
#                                                     clone_device_write
#   0x2   no mmu_interval_read_retry() re-check     mirror.devdax_2m.
#                                                     race_window
#                                                   mirror.xfs.msync_race
#   0x8   first leaf of a 2 MiB chunk a level big   mirror.tmpfs.leaf_level
#                                                   mirror.xfs.
#                                                     pmd_fallback_pte_first
#   0x4   transient get_dev_pagemap() never put     mirror.devdax_2m.
#                                                     refs_balanced
#
# Each test runs on one target that its knob's bug reaches, the cheapest:
# a 2 MiB device-dax or xfs file rather than 1 GiB of device-dax (0x8
# oversizes only where the CPU maps smaller leaves than its VMA allows:
# tmpfs's 4 KiB), by the program of the suite that has it (SUITE_PROGS of
# suite.mk; their -l says which).  Test 1 runs all these tests with
# fault_inject=0: they must pass, or the proof proves nothing.  Under 0x1
# two of them write through a stale leaf: msync's still maps the same pmem
# block (writeback moves no data), and clone_device_write's maps the block
# its own file A now shares with its own file B, which is the corruption
# the test must see; nothing else can be written, as the knobs plant their
# bugs over pmem only.  Each knob-test pair is one result, and the kernel
# log's check one more.  Output is TAP, each result preceded by the
# programs' own output as comments.  Exit status 0 when all is ok, 1 if
# not, 4 (kselftest skip) when it cannot run here.

set -u
# shellcheck source=hmm_dax_lib.sh
. "$(dirname "$0")/hmm_dax_lib.sh"

param=/sys/module/hmm_dax/parameters/fault_inject
hmm_dax_prepare
[ -w "$param" ] || skip "no $param: this hmm_dax has no fault_inject"

knobs=(0x1 0x2 0x8 0x4)
declare -A what=(
	[0x1]="ignore invalidations"
	[0x2]="skip the read_retry re-check"
	[0x4]="leak the dev_pagemap reference"
	[0x8]="install a leaf one level too large"
)
declare -A victim=(
	[0x1]="mirror.devdax_2m.munmap mirror.xfs.msync reflink.fsdax.clone_device_write"
	[0x2]="mirror.devdax_2m.race_window mirror.xfs.msync_race"
	[0x4]=mirror.devdax_2m.refs_balanced
	[0x8]="mirror.tmpfs.leaf_level mirror.xfs.pmd_fallback_pte_first"
)
declare -A tries=([0x1]=1 [0x2]=1 [0x4]=1 [0x8]=1)

log=$(mktemp) || exit 1
trap 'echo 0 >"$param"; rm -f "$log"' EXIT

# The program of the suite that has each test: prog_of[FIXTURE.VARIANT.TEST].
declare -A prog_of=()
for p in "${progs[@]}"; do
	while read -r t; do
		prog_of[$t]=$p
	done < <(hmm_dax_tests_of "$bindir/$p")
done

# run KNOB TEST...: the tests (FIXTURE.VARIANT.TEST, the harness filter -r),
# each by the program of the suite that has it, with fault_inject=KNOB;
# their output into $log and out as comments; non-zero if one of them
# failed or a test is in no program.
run() {
	local knob=$1 rc=0 status args p name
	shift
	echo "$knob" >"$param" || return 125
	: >"$log"
	for name in "$@"; do
		[ -n "${prog_of[$name]:-}" ] && continue
		echo "no program of the suite has $name" >>"$log"
		rc=1
	done
	for p in "${progs[@]}"; do
		args=()
		for name in "$@"; do
			[ "${prog_of[$name]:-}" = "$p" ] && args+=(-r "$name")
		done
		[ ${#args[@]} -gt 0 ] || continue
		"$bindir/$p" "${args[@]}" >>"$log" 2>&1
		status=$?
		[ $rc = 0 ] && rc=$status
	done
	echo 0 >"$param"
	sed 's/^/# /' "$log"
	return $rc
}

# result ok|fail DESCRIPTION
result() { if [ "$1" = ok ]; then ok "$2"; else not_ok "$2"; fi; }

names=()
for k in "${knobs[@]}"; do
	read -ra v <<<"${victim[$k]}"
	names+=("${v[@]}")
done
echo "1..$((${#names[@]} + 2))"

run 0 "${names[@]}"
rc=$?
# passed, and at least one test really ran (not all skipped)
if [ $rc = 0 ] && ! grep -q '^not ok' "$log" &&
   grep -E '^ok [0-9]+ ' "$log" | grep -qvi '# skip'; then
	result ok "knob 0 (no bug): ${names[*]} pass"
else
	result fail "knob 0 (no bug): ${names[*]} pass (status $rc)"
fi

for k in "${knobs[@]}"; do
	for t in ${victim[$k]}; do
		verdict=fail
		for ((i = 1; i <= tries[$k]; i++)); do
			run "$k" "$t"
			rc=$?
			if [ $rc != 0 ] && grep -q '^not ok' "$log"; then
				verdict=ok
				break
			fi
			echo "# knob $k: $t passed (try $i of ${tries[$k]})"
		done
		result $verdict "knob $k (${what[$k]}): $t fails"
	done
done
# Each knob run is marked in the log by the suite's own marks, which name
# the knob: what a knob provokes is accounted for like any other report.
kernel_log_check "the knob proof"
exit $failed

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
#
# hmm_dax_lib.sh - sourced by run_tests.sh, knob_proof.sh, tool_tests.sh and
# vm/debug-lane.sh: the kselftest skip, TAP lines, the checks they make,
# marks in the kernel log and its check, and where the programs are.

set -u
ksft_skip=4

skip() {
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

# TAP lines of a shell test: n counts them, failed is set by a failure;
# each is followed by the seconds since the one before, as a comment.
n=0
failed=0
_took=$SECONDS
_took() { echo "# took $((SECONDS - _took)) s"; _took=$SECONDS; }
ok() { n=$((n + 1)); echo "ok $n $*"; _took; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n $*"; _took; }
# comment [FILE...]: the lines as TAP comments
comment() { sed 's/^/# /' "$@"; }

# mark WHAT: write "hmm-dax: WHAT" to the kernel log, with the driver's
# knobs when one is on, as the C programs do (hmm_dax_helpers.h), so that a
# kernel report that follows is attributed to WHAT (kernel_log).
mark() {
	local knob

	knob=$(cat /sys/module/hmm_dax/parameters/fault_inject 2>/dev/null)
	if [ -n "$knob" ] && [ "$knob" != 0 ]; then
		knob=$(printf ' (fault_inject %#x)' "$knob")
	else
		knob=
	fi
	echo "<6>hmm-dax: $*$knob" >/dev/kmsg 2>/dev/null || true
}

# hmm_dax_program NAME: the path of a program of the suite, beside this
# script (an installed collection) or in the build tree ($HMM_DAX_ROOT in
# the guest); nothing if it is not built.
hmm_dax_program() {
	local here

	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [ -x "$here/$1" ]; then
		echo "$here/$1"
	elif [ -n "${HMM_DAX_ROOT:-}" ] &&
	     [ -x "$HMM_DAX_ROOT/build/selftests/$1" ]; then
		echo "$HMM_DAX_ROOT/build/selftests/$1"
	fi
}

# hmm_dax_prepare: root, the module loaded (HMM_DAX_KO is loaded if set),
# bin= the suite and kernel_log= the log checker.  Skips with the reason
# otherwise.
hmm_dax_prepare() {
	local t=hmm_dax_tests

	[ "$(id -u)" = 0 ] || skip "must be run as root"
	if [ ! -e /sys/module/hmm_dax ]; then
		if [ -z "${HMM_DAX_KO:-}" ] || [ ! -f "$HMM_DAX_KO" ] ||
		   ! insmod "$HMM_DAX_KO"; then
			skip "hmm_dax module not loaded (set HMM_DAX_KO or insmod hmm_dax.ko)"
		fi
	fi
	bin=$(hmm_dax_program "$t")
	[ -n "$bin" ] || skip "$t not built (make selftests)"
	kernel_log=$(hmm_dax_program kernel_log)
	[ -n "$kernel_log" ] || skip "kernel_log not built (make selftests)"
}

# kernel_log_check WHAT: one TAP result: every report in the kernel log
# since boot is attributed to a known kernel bug that names its trigger
# (known_bugs.h); the reports and their attribution as comments.
kernel_log_check() {
	local out rc

	out=$("$kernel_log")
	rc=$?
	printf '%s\n' "$out" | comment
	if [ "$rc" = 0 ]; then
		ok "kernel log after $1: $(tail -n 1 <<<"$out")"
	else
		not_ok "kernel log after $1: $(tail -n 1 <<<"$out")"
	fi
}

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

# hmm_dax_suite_progs [VAR]: the programs of the suite, one a line, in the
# order they run: SUITE_PROGS of suite.mk (or VAR: SUITE_ENTRY_PROGS, those
# run through every entry point), beside this script (in the source tree,
# and in an installed collection).
hmm_dax_suite_progs() {
	local here var=${1:-SUITE_PROGS}

	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	awk -v v="$var" '$1 == v && $2 == ":=" { on = 1; $1 = $2 = "" }
		on { more = sub(/\\$/, ""); print; if (!more) exit }' \
		"$here/suite.mk" 2>/dev/null | tr -s ' \t' '\n' | grep .
}

# hmm_dax_tests_of PROGRAM: the tests a program of the suite has, one a
# line, as the harness names them (FIXTURE.VARIANT.TEST, or FIXTURE.TEST),
# read from the columns of its -l.
hmm_dax_tests_of() {
	"$1" -l 2>&1 | awk '
	function flush(i, j) {
		for (j = 0; j < nt; j++) {
			if (!nv)
				print fixture "." tests[j]
			for (i = 0; i < nv; i++)
				print fixture "." vars[i] "." tests[j]
		}
		nv = nt = 0
	}
	/^# FIXTURE/ { next }
	/^-----/ { flush(); next }
	{
		f = substr($0, 1, 20); v = substr($0, 22, 25); t = substr($0, 48)
		gsub(/ /, "", f); gsub(/ /, "", v); gsub(/ /, "", t)
		if (f != "")
			fixture = f
		if (v != "")
			vars[nv++] = v
		if (t != "")
			tests[nt++] = t
	}
	END { flush() }'
}

# hmm_dax_prepare: root, the module loaded (HMM_DAX_KO, or module/hmm_dax.ko
# beside this script, is loaded if it is not),
# progs=() the programs of the suite in their order, bindir= the directory
# that holds them all, kernel_log= the log checker.  Skips with the reason
# otherwise.
hmm_dax_prepare() {
	local p first

	[ "$(id -u)" = 0 ] || skip "must be run as root"
	# in a kernel tree's kselftest collection the module is in module/
	if [ -z "${HMM_DAX_KO:-}" ]; then
		HMM_DAX_KO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/module/hmm_dax.ko
		[ -f "$HMM_DAX_KO" ] && export HMM_DAX_KO || unset HMM_DAX_KO
	fi
	if [ ! -e /sys/module/hmm_dax ]; then
		if [ -z "${HMM_DAX_KO:-}" ] || [ ! -f "$HMM_DAX_KO" ] ||
		   ! insmod "$HMM_DAX_KO"; then
			skip "hmm_dax module not loaded (set HMM_DAX_KO or insmod hmm_dax.ko)"
		fi
	fi
	mapfile -t progs < <(hmm_dax_suite_progs)
	[ ${#progs[@]} -gt 0 ] || skip "no SUITE_PROGS in suite.mk beside $0"
	first=$(hmm_dax_program "${progs[0]}")
	[ -n "$first" ] || skip "${progs[0]} not built (make selftests)"
	bindir=$(dirname "$first")
	for p in "${progs[@]}"; do
		[ -x "$bindir/$p" ] || skip "$bindir/$p not built (make selftests)"
	done
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
	# the name stays the same from run to run; what was found follows it
	if [ "$rc" = 0 ]; then
		ok "kernel log after $1 # $(tail -n 1 <<<"$out")"
	else
		not_ok "kernel log after $1 # $(tail -n 1 <<<"$out")"
	fi
}

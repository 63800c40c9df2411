# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
#
# hmm_dax_lib.sh - sourced by run_tests.sh, knob_proof.sh, tool_tests.sh and
# vm/debug-lane.sh: the kselftest skip, TAP lines, the checks they make, and
# where the test binary is.

ksft_skip=4

skip() {
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

# TAP lines of a shell test: n counts them, failed is set by a failure.
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n $*"; }
# comment [FILE...]: the lines as TAP comments
comment() { sed 's/^/# /' "$@"; }

# hmm_dax_prepare: root, the module loaded (HMM_DAX_KO is loaded if set),
# and bin= the suite: beside this script (an installed collection) or in the
# build tree ($HMM_DAX_ROOT in the guest).  Skips with the reason otherwise.
hmm_dax_prepare() {
	local here t=hmm_dax_tests

	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	[ "$(id -u)" = 0 ] || skip "must be run as root"
	if [ ! -e /sys/module/hmm_dax ]; then
		if [ -z "${HMM_DAX_KO:-}" ] || [ ! -f "$HMM_DAX_KO" ] ||
		   ! insmod "$HMM_DAX_KO"; then
			skip "hmm_dax module not loaded (set HMM_DAX_KO or insmod hmm_dax.ko)"
		fi
	fi
	if [ -x "$here/$t" ]; then
		bin=$here/$t
	elif [ -n "${HMM_DAX_ROOT:-}" ] &&
	     [ -x "$HMM_DAX_ROOT/build/selftests/$t" ]; then
		bin=$HMM_DAX_ROOT/build/selftests/$t
	else
		skip "$t not built (make selftests)"
	fi
}

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
#
# hmm_dax_lib.sh - sourced by run_tests.sh and knob_proof.sh: the kselftest
# skip, the checks both make, and where the test binary is.

ksft_skip=4

skip() {
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

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

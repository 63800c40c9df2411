#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the hmm_dax kselftests.  Skips (kselftest exit 4) with the reason when
# the machine cannot run them: not root, no hmm_dax module, no pmem.
# In the hmm-dax guest the module is loaded and the DAX targets are set up.

ksft_skip=4
here=$(cd "$(dirname "$0")" && pwd)

skip() {
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

[ "$(id -u)" = 0 ] || skip "must be run as root"
if [ ! -e /sys/module/hmm_dax ]; then
	[ -n "${HMM_DAX_KO:-}" ] && [ -f "$HMM_DAX_KO" ] && insmod "$HMM_DAX_KO" ||
		skip "hmm_dax module not loaded (set HMM_DAX_KO or insmod hmm_dax.ko)"
fi
ls /dev/pmem* /dev/dax* >/dev/null 2>&1 ||
	echo "# no pmem or device-dax: DAX variants will skip (see selftests/config)"

for t in hmm_dax_tests; do
	if [ -x "$here/$t" ]; then
		bin=$here/$t
	elif [ -n "${HMM_DAX_ROOT:-}" ] && [ -x "$HMM_DAX_ROOT/build/selftests/$t" ]; then
		bin=$HMM_DAX_ROOT/build/selftests/$t
	else
		skip "$t not built (make selftests)"
	fi
	"$bin" || exit
done

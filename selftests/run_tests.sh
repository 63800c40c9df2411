#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the hmm_dax kselftests, then account for every report in the kernel
# log (kernel_log: a report no known kernel bug names fails the run).
# Skips (kselftest exit 4) with the reason when the machine cannot run
# them: not root, no hmm_dax module, no pmem.  In the hmm-dax guest the
# module is loaded and the DAX targets are set up.

set -u
# shellcheck source=hmm_dax_lib.sh
. "$(dirname "$0")/hmm_dax_lib.sh"

hmm_dax_prepare
ls /dev/pmem* /dev/dax* >/dev/null 2>&1 ||
	echo "# no pmem or device-dax: DAX variants will skip (see selftests/config)"
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$bin" "$@" | tee "$out"
rc=${PIPESTATUS[0]}
# The log check is one more result after the suite's own.
n=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | head -n 1)
n=${n:-0}
kernel_log_check "the suite"
[ "$rc" != 0 ] && exit "$rc"
exit "$failed"

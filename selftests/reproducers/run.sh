#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [BINDIR]: every reproducer of selftests/reproducers/ on this
# machine's DAX targets (the hmm-dax guest's $HMM_DAX_* variables), the
# destructive one last.  Each prints its own verdict line, "NAME: present:
# ...", "NAME: absent: ..." or "NAME: cannot run: ..."; one more line per
# reproducer, "result NAME STATUS", is for scripts/reproducers.sh's table.

set -u
bin=${1:-${HMM_DAX_ROOT:-.}/build/reproducers}
: "${HMM_DAX_DEVDAX_1G:?} ${HMM_DAX_DEVDAX_2M:?} ${HMM_DAX_EXT4:?}"
: "${HMM_DAX_XFS_REFLINK:?}"

run() { # NAME ARG
	local rc

	echo "<6>hmm-dax: reproducer $1" >/dev/kmsg 2>/dev/null
	"$bin/$1" "$2"
	rc=$?
	echo "result $1 $rc"
}

run mprotect-dax-pud "$HMM_DAX_DEVDAX_1G"
run mremap-dax-pud "$HMM_DAX_DEVDAX_1G"
run pagemap-dax-pud "$HMM_DAX_DEVDAX_1G"
run zap-dax-pud-race "$HMM_DAX_DEVDAX_1G"
run madvise-cold-dax-pmd "$HMM_DAX_DEVDAX_2M"
run fsdax-reflink-mapping "$HMM_DAX_XFS_REFLINK/dax"
run ficlone-writeback-per-page "$HMM_DAX_XFS_REFLINK"
run devdax-rebind-open "$HMM_DAX_DEVDAX_2M"
# destructive: the poison stays until the guest reboots
run hwpoison-fsdax-head "$HMM_DAX_EXT4"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests (no kernel module involved), as TAP.

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
n=0
fails=0

t() { # name command...
	local name=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		printf '%s\n' "$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

# tap-summary CASE STATUS EXPECTED: summarise fixtures/CASE.tap
summary_is() {
	local got
	got=$(awk -v name=k -v status="$2" -f "$top/selftests/tap-summary" \
		"$here/fixtures/$1.tap" | head -n 1)
	[ "$got" = "k: $3" ] || { echo "expected 'k: $3', got '$got'"; return 1; }
}

# `make selftests-install` gives a collection the kernel's runner lists.
ksft_install() {
	local dir got
	dir=$(mktemp -d) || return 1
	make -s -C "$top" selftests-install INSTALL_PATH="$dir" >/dev/null &&
		got=$("$dir/run_kselftest.sh" -l) &&
		[ -x "$dir/hmm_dax/hmm_dax_tests" ] && [ -f "$dir/hmm_dax/settings" ]
	local ret=$?
	rm -rf "$dir"
	[ $ret -eq 0 ] || return 1
	[ "$got" = "hmm_dax:run_tests.sh" ] || { echo "run_kselftest.sh -l: '$got'"; return 1; }
}

echo "TAP version 13"
t uapi_standalone "$build/unit/uapi_test"
t devpt "$build/unit/devpt_test"
t summary_counts summary_is mixed 1 "2 passed, 1 failed, 1 skipped"
t summary_skip_is_not_pass summary_is allskip 0 "0 passed, 0 failed, 2 skipped"
t summary_guest_died summary_is died 125 "1 passed, 1 failed, 0 skipped"
t summary_no_test summary_is empty 0 "0 passed, 1 failed, 0 skipped"
t summary_whole_skip summary_is wholeskip 4 "0 passed, 1 failed, 0 skipped"
t checkpatch make -s -C "$top" checkpatch
t kselftest_install ksft_install
t summary_console_noise summary_is noise 0 "1 passed, 0 failed, 0 skipped"
echo "1..$n"
[ "$fails" -eq 0 ]

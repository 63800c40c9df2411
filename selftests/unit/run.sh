#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests (no kernel module involved), as TAP.

set -u
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
		[ -x "$dir/hmm_dax/hmm_dax_mirror" ] && [ -f "$dir/hmm_dax/suite.mk" ] && [ -f "$dir/hmm_dax/settings" ]
	local ret=$?
	rm -rf "$dir"
	[ $ret -eq 0 ] || return 1
	[ "$got" = "hmm_dax:run_tests.sh" ] || { echo "run_kselftest.sh -l: '$got'"; return 1; }
}

# The tool without a module (the host has none): usage errors and a missing
# /dev/hmm_dax0 are exit 2, in JSON mode {"error": ...} and nothing else;
# help lists every command of the man page.
tool_errors() {
	local tool=$build/hmm-dax out c
	"$tool" help >/dev/null || return 1
	for c in mirror dump read write stats events audit compare stress fuzz devices; do
		"$tool" help | grep -q "^  $c " || { echo "help lacks $c"; return 1; }
		grep -q "^\.BI\? $c\b" "$top/userspace/hmm-dax.8" ||
			{ echo "man page lacks $c"; return 1; }
	done
	out=$("$tool" -j compare anon)
	[ $? -eq 2 ] && [ "$(jq -r .error <<<"$out")" != null ] || return 1
	out=$("$tool" -j compare --scenario bogus anon)
	[ $? -eq 2 ] && jq -e '.error | test("bogus")' <<<"$out" >/dev/null ||
		return 1
	"$tool" nosuchcommand 2>/dev/null
	[ $? -eq 2 ] || return 1
	"$tool" s anon 2>/dev/null	# stats or stress: ambiguous
	[ $? -eq 2 ]
}

# The usage lines of `hmm-dax help` are the parser's: every option a
# command's line shows is taken (any error is about its value or the
# missing module), every other is refused as not applying; every command,
# option and scenario of help is in the man page.
usage_is_parser() {
	local tool=$build/hmm-dax help cmd usage opt val err
	declare -A vals=([size]=2M [offset]=0 [len]=4096 [scenario]=truncate
		[pattern]=1 [threads]=1 [seconds]=1 [seed]=1 [sizes]=2M
		[peer]=/dev/null [device]=0)
	help=$("$tool" help) || return 1
	for cmd in $(awk '/^commands:/ { on = 1; next } /^$/ { on = 0 }
			 on && /^  [a-z]/ { print $1 }' <<<"$help"); do
		usage=$(awk -v c="$cmd" '$1 == c { getline; print; exit }' <<<"$help")
		[ "$cmd" = help ] || [ "$cmd" = devices ] && usage=
		for opt in $(awk '/^options:/ { on = 1; next } /^$/ { on = 0 }
				 on { sub(/^--/, "", $1); print $1 }' <<<"$help"); do
			val=${vals[$opt]-}
			err=$("$tool" "$cmd" "--$opt" ${val:+"$val"} anon 2>&1 >/dev/null)
			if grep -q -- "--$opt\b" <<<"$usage"; then
				if grep -q 'does not apply' <<<"$err"; then
					echo "$cmd: --$opt is in its usage line but refused: $err"
					return 1
				fi
			elif ! grep -q -- "--$opt does not apply to $cmd\|--device after a command" <<<"$err"; then
				echo "$cmd: --$opt is not in its usage line but not refused: $err"
				return 1
			fi
		done
		grep -q "^\.BI\? $cmd\b" "$top/userspace/hmm-dax.8" ||
			{ echo "man page lacks the command $cmd"; return 1; }
	done
	for opt in $(awk '/^options:/ { on = 1; next } /^$/ { on = 0 }
			 on { print $1 }' <<<"$help"); do
		grep -q -- "${opt//-/\\\\-}" "$top/userspace/hmm-dax.8" ||
			{ echo "man page lacks $opt"; return 1; }
	done
	for s in $(awk '/^scenarios/ { on = 1; next } /^$/ { on = 0 }
			on { for (i = 1; i <= NF; i += 2) print $i }' <<<"$help"); do
		grep -q "^\.B $s$" "$top/userspace/hmm-dax.8" ||
			{ echo "man page lacks the scenario $s"; return 1; }
	done
}

# Every known bug names a reproducer that exists, or none (NULL), and each
# reproducer has its report in Documentation/reproducers.rst.
reproducers_named() {
	local n r

	n=$(grep -c '\.id = "' "$top/selftests/known_bugs.h")
	[ "$(grep -c '\.reproducer = ' "$top/selftests/known_bugs.h")" = "$n" ] ||
		{ echo "an entry of known_bugs.h has no .reproducer"; return 1; }
	for r in $(sed -n 's/.*\.reproducer = "\(.*\)",/\1/p' "$top/selftests/known_bugs.h"); do
		[ -f "$top/selftests/reproducers/$r.c" ] ||
			{ echo "no selftests/reproducers/$r.c"; return 1; }
	done
	for r in "$top"/selftests/reproducers/*.c; do
		r=$(basename "$r" .c)
		grep -qx "$r" "$top/Documentation/reproducers.rst" ||
			{ echo "reproducers.rst has no report of $r"; return 1; }
	done
}

# KernelCI's naming of a run_kselftest.sh output (ksft-results.awk): nested
# results, a skip's reason in its name, XFAIL a pass, _dup2 for a repeat.
kernelci_names() {
	awk -f "$top/selftests/ksft-results.awk" "$here/fixtures/ksft-nested.tap" |
		diff "$here/fixtures/ksft-nested.results" -
}

# make install puts everything under DESTDIR, and the library links.
install_tree() {
	local d=$build/install-test
	rm -rf "$d"
	make -s -C "$top" install DESTDIR="$d" PREFIX=/usr KVER=6.12 >/dev/null || return 1
	for f in usr/sbin/hmm-dax usr/share/man/man8/hmm-dax.8 \
		 usr/lib/libhmmdax.so.1 usr/lib/libhmmdax.a usr/include/libhmmdax.h \
		 usr/include/hmm_dax_uapi.h usr/lib/pkgconfig/libhmmdax.pc; do
		[ -e "$d/$f" ] || { echo "missing $f"; return 1; }
	done
	find "$d/lib/modules" -name "hmm_dax.ko*" | grep -q . || { echo "no module"; return 1; }
	printf '#include <libhmmdax.h>\nint main(void) { struct hmm_dax_ctx *c; return hmm_dax_open(&c, 0) != -ENOENT; }\n' |
		sed 's/^#include/#include <errno.h>\n#include/' |
		cc -x c -I"$d/usr/include" -o "$d/t" - -L"$d/usr/lib" -lhmmdax || return 1
	LD_LIBRARY_PATH=$d/usr/lib "$d/t"
	local rc=$?
	rm -rf "$d"
	return $rc
}

# The suite's harness rules (hmm_dax_harness.h), read from harness_test's
# TAP under a release: EXPECT then HMM_DAX_SKIP fails, HMM_DAX_SKIP alone
# skips, the harness's own SKIP would hide the failure.
harness_rules() {
	local out

	out=$(HMM_DAX_RELEASE=6.12 "$build/unit/harness_test")
	grep -q '^not ok [0-9]* global.expect_then_skip$' <<<"$out" &&
		grep -q '^ok [0-9]* global.skip_alone # SKIP nothing failed' <<<"$out" &&
		grep -q '^ok [0-9]* global.harness_skip # SKIP' <<<"$out" ||
		{ echo "$out"; return 1; }
}

# The tests known_bugs.h names are XFAIL on the kernels it covers and only
# there; one that passes there is an XPASS, which counts as a failure.
known_xfail() { # RELEASE TAP-LINE-PATTERN
	local out

	out=$(HMM_DAX_RELEASE=$1 "$build/unit/harness_test")
	grep -qE "$2" <<<"$out" || { echo "$out"; return 1; }
}

# kernel_log FIXTURE RELEASE STATUS: the check's exit status on a saved log
kernel_log_is() {
	local rc

	HMM_DAX_RELEASE=$2 "$build/selftests/kernel_log" "$here/fixtures/$1.log"
	rc=$?
	[ "$rc" = "$3" ] || { echo "exit $rc, expected $3"; return 1; }
}

# No skip of the suite but HMM_DAX_SKIP (a bare SKIP() can hide a failure).
no_bare_skip() {
	! grep -nE '(^|[^_A-Z])SKIP\(' "$top"/selftests/*.c
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
t tool_errors tool_errors
t usage_is_parser usage_is_parser
t reproducers_named reproducers_named
t kernelci_names kernelci_names
t install_tree install_tree
t harness_expect_then_skip_fails harness_rules
t known_bug_xfail_on_6.1 known_xfail 6.1 '^ok [0-9]+ mirror.devdax_1g.mprotect_readonly # XFAIL'
t known_bug_plain_on_6.12 known_xfail 6.12 '^not ok [0-9]+ mirror.devdax_1g.mprotect_readonly$'
t known_bug_xpass_on_6.15 known_xfail 6.15 '^ok [0-9]+ mirror.devdax_1g.leaf_level # XPASS'
t summary_xpass_is_failure summary_is xpass 1 "0 passed, 1 failed, 0 skipped, 1 known kernel bugs"
t kernel_log_known_report kernel_log_is kmsg-known 7.2 0
t kernel_log_other_trigger kernel_log_is kmsg-other-test 7.2 1
t kernel_log_boot_report kernel_log_is kmsg-boot 6.12 1
t kernel_log_clean kernel_log_is kmsg-clean 6.1 0
t no_bare_skip no_bare_skip
echo "1..$n"
[ "$fails" -eq 0 ]

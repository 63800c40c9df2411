#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ksft-compare.sh SUITE_LOG RESULTS WHAT
#
# Set the per-test results of the hmm_dax collection run elsewhere
# (RESULTS: "NAME RESULT" lines named by KernelCI's rules, from
# selftests/ksft-results.awk or LAVA) beside make check's run of the same
# suite (SUITE_LOG: a kernel's build/check/<version>.log, named by the same
# rules as if run_kselftest.sh had run it).  A skipped test's name carries
# its reason, which may differ between the two: it is matched to the test
# whose name, without the reason, begins it.
#
# Prints the counts of each, then every test that is in one list only and
# every test whose result differs.  A test that passed on one side and was
# skipped on the other is a difference of environment (a device, a kernel
# option), listed apart.  Exit 0 when there is nothing else, 1 otherwise.

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
log=${1:?usage: ksft-compare.sh SUITE_LOG RESULTS WHAT}
results=${2:?usage: ksft-compare.sh SUITE_LOG RESULTS WHAT}
what=${3:?usage: ksft-compare.sh SUITE_LOG RESULTS WHAT}

[ -f "$log" ] || { echo "$what: no $log: run make check first" >&2; exit 1; }
ref=$(mktemp) || exit 1
trap 'rm -f "$ref"' EXIT
{ sed 's/^/# /' "$log"; echo "ok 1 selftests: hmm_dax: run_tests.sh"; } |
	awk -v bare=1 -f "$top/selftests/ksft-results.awk" >"$ref"

count() { awk '{ n[$2]++ } END { printf "%d pass, %d fail, %d skip", n["pass"], n["fail"], n["skip"] }' "$1"; }
echo "$what: make check: $(count "$ref")"
echo "$what: $(basename "$results"): $(count "$results")"

awk -v what="$what" '
	NR == FNR { ref[$1] = $2; order[++n] = $1; next }
	{
		name = $1
		if (!(name in ref) && $2 == "skip") {
			# the longest make check name that begins it
			best = ""
			for (r in ref)
				if (index(name, r "_") == 1 && length(r) > length(best))
					best = r
			if (best != "")
				name = best
		}
		got[name] = $2
	}
	END {
		for (i = 1; i <= n; i++) {
			t = order[i]
			if (!(t in got)) {
				print what ": only in make check: " t " " ref[t]
				bad = 1
			} else if (got[t] != ref[t]) {
				env = (got[t] == "skip" || ref[t] == "skip") &&
				      (got[t] == "pass" || ref[t] == "pass")
				print what ": " (env ? "environment" : "DIFFERS") ": " t \
				      ": make check " ref[t] ", here " got[t]
				if (!env)
					bad = 1
			}
		}
		for (t in got)
			if (!(t in ref)) {
				print what ": not in make check: " t " " got[t]
				bad = 1
			}
		if (!bad)
			print what ": every test of make check is here with the same result (environment differences above)"
		exit bad
	}' "$ref" "$results"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-total.sh DIR: add up the *.sum lines of one make check run, print the
# closing line "N passed, N failed, N skipped" (", N known kernel bugs" when
# a test met one of known_bugs.h) and fail if anything failed.

set -euo pipefail
dir=$1
shopt -s nullglob
sums=("$dir"/*.sum)
[ ${#sums[@]} -gt 0 ] || { echo "check-total: no results in $dir" >&2; exit 1; }
# Show the end of every failed part's log, for CI's record.
for s in "${sums[@]}"; do
	grep -q '^  failed:' "$s" || continue
	echo
	echo "== ${s%.sum}.log (last 60 lines) =="
	tail -n 60 "${s%.sum}.log"
done
echo
echo "summary:"
grep -h -v '^  ' "${sums[@]}" | sed 's/^/  /'
grep -h -v '^  ' "${sums[@]}" | awk -F'[:,] *' '
	{ for (i = 2; i <= NF; i++) { split($i, w, " "); n[w[2]] += w[1] } }
	END {
		printf "%d passed, %d failed, %d skipped", n["passed"], n["failed"], n["skipped"]
		if (n["known"])
			printf ", %d known kernel bugs", n["known"]
		printf "\n"
		exit n["failed"] != 0
	}'

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# matrix.sh OUTDIR 'TARGETS' KERNEL...
#
# make matrix: `hmm-dax compare --scenario all` on TARGETS (as the guest's
# shell expands them) in a guest of each KERNEL (an alias or a PATH), then
# one report of them all: OUTDIR/matrix.json and OUTDIR/matrix.html, a row
# per target and scenario and a column per kernel, the cells where the
# kernels behave differently marked and the difference spelled out
# (scripts/matrix.jq, scripts/matrix-html.jq).  A kernel that offers two
# HMM entry points (7.3: hmm_range_fault_unlocked_timeout()) gets a column
# for each, and every column the fault path's counters per scenario and
# the 1 GiB mirror's fault_ns on devdax-2M and devdax-1G (hmm-dax bench).
# The page is then loaded in headless Chromium: its table must hold every
# row and column of the JSON (OUTDIR/matrix.png is its screenshot).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

[ $# -ge 3 ] || { echo "usage: matrix.sh OUTDIR 'TARGETS' KERNEL..." >&2; exit 2; }
out=$1 targets=$2
shift 2
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "${out:?}/raw"

# In a guest: compare on every target and the 1 GiB mirror's timing on
# the device-dax nodes, through the entry point $1 (the first boot also
# says which entry points the kernel offers).
guest='e=$1
	uname -r >/extra/release
	$HMM_DAX_ROOT/build/selftests/known_bug --applies >/extra/known
	$HMM_DAX_ROOT/build/selftests/entry_points >/extra/entries || exit 1
	flag=; [ "$e" = locked ] || flag=--unlocked
	# compare exits 1 when a scenario diverges: that is a result here
	$HMM_DAX_ROOT/build/hmm-dax -j compare $flag --size 16M \
		--scenario all '"$targets"' >/extra/compare-$e.json
	[ $? -le 1 ] || exit 1
	$HMM_DAX_ROOT/build/hmm-dax -j bench $flag --sizes 1G \
		$HMM_DAX_DEVDAX_2M $HMM_DAX_DEVDAX_1G >/extra/bench-$e.json'

# run KERNEL LABEL ENTRY: one column, in a guest of its own, so that every
# column starts from fresh file systems (what a file's extents are, and so
# its leaf levels, depends on what was allocated before it).  2 GiB
# regions: devdax-2M must hold the 1 GiB the timing mirrors.
run() {
	local k=$1 label=$2 e=$3 raw=$out/raw/$2 col=$2

	echo "matrix: $label, entry point $e"
	"$top/selftests/vm/hmm-dax-vm" --kernel "$k" --pmem 2 --add "$raw" \
		--timeout 3600 -- sh -c "$guest" sh "$e" \
		>"$raw/console-$e.log" 2>&1 ||
		{ tail -n 20 "$raw/console-$e.log" >&2;
		  echo "matrix: the compare on $label ($e) failed" >&2; exit 1; }
	# a column per kernel and entry point: "7.3", "7.3 unlocked"
	[ "$e" = locked ] || col="$label $e"
	jq -n --arg k "$col" --arg e "$e" --rawfile release "$raw/release" \
		--rawfile known "$raw/known" \
		--slurpfile doc "$raw/compare-$e.json" \
		--slurpfile bench "$raw/bench-$e.json" \
		'{label: $k, entry_point: $e,
		  release: ($release | rtrimstr("\n")), doc: $doc[0],
		  timing: $bench[0].results,
		  known: [$known | split("\n")[] | select(. != "") |
			split("\t") | {id: .[0], reason: .[1]}]}' \
		>"$raw/kernel-$e.json"
}

for k in "$@"; do
	label=$(kernel_label "$k")
	mkdir -p "$out/raw/$label"
	run "$k" "$label" locked
	for e in $(grep -vx locked "$out/raw/$label/entries"); do
		run "$k" "$label" "$e"
	done
done

jq -s -f "$here/matrix.jq" "$out"/raw/*/kernel-*.json >"$out/matrix.json"
jq -r -f "$here/matrix-html.jq" "$out/matrix.json" >"$out/matrix.html"

# The page as a browser renders it: every row and kernel column, and a
# mark on each row whose kernels differ.
browser=$(command -v chromium || command -v chromium-browser) ||
	{ echo "matrix: chromium missing: run make deps" >&2; exit 1; }
chrome=("$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars
	--user-data-dir="$out/raw/chromium")
"${chrome[@]}" --dump-dom "file://$out/matrix.html" 2>/dev/null >"$out/raw/dom.html"
rows=$(jq '.rows | length' "$out/matrix.json")
differ=$(jq '[.rows[] | select(.differs)] | length' "$out/matrix.json")
kernels=$(jq '.kernels | length' "$out/matrix.json")
dom_rows=$(grep -o '<tr class="row[^"]*"' "$out/raw/dom.html" | wc -l)
dom_differ=$(grep -o '<tr class="row differs"' "$out/raw/dom.html" | wc -l)
dom_kernels=$(grep -o '<th class="kernel"' "$out/raw/dom.html" | wc -l)
if [ "$dom_rows" != "$rows" ] || [ "$dom_differ" != "$differ" ] ||
   [ "$dom_kernels" != "$kernels" ]; then
	echo "matrix: Chromium shows $dom_rows rows ($dom_differ differing) and $dom_kernels kernels; the JSON has $rows ($differ) and $kernels" >&2
	exit 1
fi
height=$((300 + 44 * rows))
"${chrome[@]}" --window-size=1600,"$height" --screenshot="$out/matrix.png" \
	"file://$out/matrix.html" >/dev/null 2>&1
[ -s "$out/matrix.png" ] || { echo "matrix: no screenshot" >&2; exit 1; }
echo "matrix: $rows rows x $kernels kernels, $differ rows where the kernels differ"
jq -r '.rows[] | select(.differs) |
	"  \(.target) \(.path) \(.scenario): \(.differences | join("; "))"' \
	"$out/matrix.json"
echo "matrix: $out/matrix.json, $out/matrix.html, $out/matrix.png"

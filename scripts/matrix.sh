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
# (scripts/matrix.jq, scripts/matrix-html.jq).  The page is then loaded in
# headless Chromium: its table must hold every row and column of the JSON
# (OUTDIR/matrix.png is its screenshot).

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

for k in "$@"; do
	label=$(kernel_label "$k")
	raw=$out/raw/$label
	mkdir -p "$raw"
	echo "matrix: $label"
	# compare exits 1 when a scenario diverges: that is a result here
	"$top/selftests/vm/hmm-dax-vm" --kernel "$k" --add "$raw" --timeout 1800 -- \
		sh -c "uname -r >/extra/release;
			$top/build/selftests/known_bug --applies >/extra/known;
			$top/build/hmm-dax -j compare \
			--size 16M --scenario all $targets >/extra/compare.json;
			test \$? -le 1" >"$raw/console.log" 2>&1 ||
		{ tail -n 20 "$raw/console.log" >&2;
		  echo "matrix: the compare on $label failed" >&2; exit 1; }
	jq -n --arg k "$label" --rawfile release "$raw/release" \
		--rawfile known "$raw/known" --slurpfile doc "$raw/compare.json" \
		'{label: $k, release: ($release | rtrimstr("\n")), doc: $doc[0],
		  known: [$known | split("\n")[] | select(. != "") | split("\t") |
			{id: .[0], reason: .[1]}]}' \
		>"$raw/kernel.json"
done

jq -s -f "$here/matrix.jq" "$out"/raw/*/kernel.json >"$out/matrix.json"
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

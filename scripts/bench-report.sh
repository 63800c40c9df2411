#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.sh RESULT.json
#
# Print the table of one `hmm-dax -j bench` result (as make bench stores it)
# and draw RESULT.png: time to mirror against size, log-log, one line per
# target and leaf level for hmm-dax (kernel time: hmm_range_fault() plus
# installing) and, where it ran, one per target for test_hmm's snapshot.

set -euo pipefail
json=$1
png=${json%.json}.png
kv=$(jq -r '.kernel // "?"' "$json")
cpu=$(jq -r '.guest_cpu // "max"' "$json")

echo "hmm-dax bench on $kv, guest CPU $cpu (times in microseconds, bandwidth in MB/s)"
jq -r '
  def us: if . == null then "-" else (. / 1000 | floor | tostring) end;
  def r(n): if . == null then "-" else ((. * n | round) / n | tostring) end;
  (["target", "MiB", "leaf", "fault", "install", "i/f", "audit",
    "inv", "inv_ns", "dev_MB", "cpu_MB", "d/c", "table_B", "peak_B",
    "B/leaf", "thmm_snap", "thmm_read", "thmm_B", "snap/mir", "mem"] | @tsv),
  (.results[] |
   if .not_applicable then [.target, .size, "n/a"] | map(tostring) | @tsv
   else [.target, .size, .leaf, (.fault_ns | us), (.install_ns | us),
	 (.ratios.install_per_fault | r(1000)), (.audit_ns | us),
	 (.invalidate.level // "-"), (.invalidate.ns // "-"),
	 .device_read_MBps, .cpu_read_MBps,
	 (.ratios.device_read_per_cpu_read | r(100)),
	 .table_bytes, .peak_bytes, (.ratios.table_bytes_per_leaf | r(10)),
	 (.peer.snapshot_ns | us), (.peer.read_ns | us),
	 (.peer.table_bytes // "-"),
	 (.peer.snapshot_speedup | r(100)), (.peer.memory_ratio | r(10000))]
	 | map(tostring) | @tsv end)' "$json" | column -t -s "$(printf '\t')"
jq -r '.results[] | select(.not_applicable) |
	"n/a: \(.target) \(.size) MiB: \(.not_applicable)"' "$json"
if jq -e .peer_unavailable "$json" >/dev/null; then
	echo "test_hmm peer: unavailable: $(jq -r .peer_unavailable "$json")"
fi
echo
echo "goals:"
jq -r '.goals[] | "  \(.goal) \(.op) \(.limit): " +
	(if .met == null then .value else
	 "\(.value * 1000 | round / 1000) \(if .met then "met" else "MISSED" end)" end)' "$json"

command -v gnuplot >/dev/null || { echo "gnuplot missing: no plot (make deps)" >&2; exit 0; }
dat=$(mktemp -d)
trap 'rm -rf "${dat:?}"' EXIT
plots=()
n=0
while IFS=$'\t' read -r target leaf; do
	n=$((n + 1))
	case "$target" in
	/dev/*) label=$(basename "$target") ;;
	/tmp/*) label="tmpfs control" ;;
	*) label=$(basename "$(dirname "$target")") ;;
	esac
	jq -r --arg t "$target" '.results[] | select(.target == $t and .fault_ns != null) |
		"\(.size) \((.fault_ns + .install_ns) / 1000000) \(.peer.snapshot_ns // "NaN" |
		 if . == "NaN" then . else . / 1000000 end)"' "$json" >"$dat/$n"
	plots+=("'$dat/$n' using 1:2 with linespoints title 'hmm-dax $label ($leaf)'")
	if awk '$3 != "NaN" { found = 1 } END { exit !found }' "$dat/$n"; then
		plots+=("'$dat/$n' using 1:3 with linespoints dashtype 2 title 'test_hmm $label'")
	fi
done < <(jq -r '[.results[] | select(.leaf != null)] | group_by(.target)[] |
		[.[0].target, ([.[].leaf] | unique | join("+"))] | @tsv' "$json")
IFS=,
gnuplot <<PLOT
set terminal pngcairo size 1200,640 noenhanced
set output '$png'
set title 'mirror time against size on $kv (hmm-dax: hmm_range_fault + install; test_hmm: snapshot)'
set logscale xy
set xlabel 'mirrored MiB'
set ylabel 'ms'
set key outside right top
set grid
plot ${plots[*]}
PLOT
echo "plot: $png"

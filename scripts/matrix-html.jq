# SPDX-License-Identifier: GPL-2.0
#
# matrix-html.jq: matrix.json as one self-contained HTML page (jq -r).

def esc: tostring | gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;") |
	gsub("\""; "&quot;");
def kinds: [to_entries[] | "\(.key) \(.value)"] | join(", ");
def cell:
	if . == null then "<td class=\"missing\">not run</td>"
	else
		(.verdict == "n/a") as $na |
		"<td class=\"\(.verdict | gsub("/"; ""))\"><b>\(.verdict | esc)</b>" +
		(if $na then ""
		 elif .before != "" or .after != "" then
			"<br><span class=\"lv\">\(.before | if . == "" then "-" else . end)" +
			" &rarr; \(.after | if . == "" then "-" else . end)</span>"
		 else "" end) +
		(if $na then ""
		 else "<br><span class=\"ev\">\(.events) event\(if .events == 1 then "" else "s" end)" +
			(if .events > 0 then " (\(.event_kinds | kinds | esc))" else "" end) +
			"</span>" end) +
		(if .faults != null then
			"<br><span class=\"ev\">\(.faults) faults, \(.retries) retries, \(.demand_faults) demand</span>"
		 else "" end) +
		(if .known != null then "<br><span class=\"known\">\(.known | esc)</span>" else "" end) +
		(if .reason != "" then "<br><span class=\"why\">\(.reason | esc)</span>" else "" end) +
		(if (.diverged_at | length) > 0 then
			"<br><span class=\"why\">\(.diverged_at | join("; ") | esc)</span>"
		 else "" end) +
		"</td>"
	end;

. as $m |
"<!DOCTYPE html>
<html lang=\"en\"><head><meta charset=\"utf-8\">
<title>hmm-dax: device view against CPU view, per kernel</title>
<style>
body { font: 13px sans-serif; margin: 1em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #999; padding: 3px 6px; vertical-align: top; }
th { background: #eee; }
td.agree { background: #dfd; }
td.diverge { background: #fbb; }
td.refused { background: #fe9; }
td.na, td.missing { background: #f4f4f4; color: #555; }
tr.differs td.diff { background: #fd8; font-weight: bold; }
.lv { font-family: monospace; }
.ev, .why { font-size: 11px; color: #333; }
.known { font-size: 11px; font-weight: bold; color: #840; }
</style></head><body>
<h1>hmm-dax compare, per kernel</h1>
<p>\($m.rows | length) target &times; scenario rows on \($m.kernels | length) kernels;
\([$m.rows[] | select(.differs)] | length) rows where the kernels differ (marked).
A cell: the verdict, the device's leaf levels at the first and last step,
and the invalidation events the mirror saw.</p>
<table>
<tr><th>target</th><th>scenario</th>" +
([$m.kernels[] | "<th class=\"kernel\">\(.label | esc)<br><small>\(.release | esc)</small></th>"] | join("")) +
"<th>where the kernels differ</th></tr>\n" +
([$m.rows[] | . as $r |
	"<tr class=\"row\(if .differs then " differs" else "" end)\"><td>\(.target | esc)<br><small>\(.path | esc)</small></td><td>\(.scenario | esc)</td>" +
	([$m.kernels[] | $r.cells[.label] | cell] | join("")) +
	"<td class=\"diff\">\(if .differs then "&#9888; " + ([.differences[] | esc] | join("<br>")) else "" end)</td></tr>\n"
] | join("")) +
"</table>\n<h2>Mirroring 1 GiB: fault_ns per kernel and entry point</h2>
<table><tr><th>target</th><th>size</th>" +
([$m.kernels[] | "<th>\(.label | esc)</th>"] | join("")) + "</tr>\n" +
([($m.timing // [])[] | . as $t |
	"<tr><td>\(.target | esc)</td><td>\(.size_MiB) MiB</td>" +
	([$m.kernels[] | ($t.cells[.label] // null) |
		if . == null then "<td class=\"missing\">not run</td>"
		else "<td>\(.fault_ns) ns<br><small>\(.leaf) leaves, install \(.install_ns) ns</small></td>" end] |
	 join("")) + "</tr>\n"] | join("")) +
"</table></body></html>"

# SPDX-License-Identifier: GPL-2.0
#
# matrix.jq: the cross-kernel report from one `hmm-dax -j compare` per
# kernel and entry point (a column: "7.3", "7.3 unlocked").  Input (jq -s):
# [{label, entry_point, release, doc, timing}] in column order.  Output:
# {kernels, rows, timing}; a row is a target and a scenario with a cell per
# column, "differs" when the columns' verdicts, leaf levels, invalidation
# events, retries or demand faults are not all the same, and "differences"
# saying how.  timing: per device-dax target, the 1 GiB mirror's fault_ns
# and leaf level in each column (hmm-dax bench).  A diverging cell
# whose kernel has a known bug (selftests/known_bugs.h) of that target and
# scenario says so in "known"; it still diverges.

# Known bugs (selftests/known_bugs.h) and the cells they show in.
def known_cells: {"mprotect-dax-pud": {target: "devdax-1G", scenario: "mprotect"}};

def levels: (. // []) | join(",");
def steps: [(.steps // [])[] | select(.step != "teardown")];
def cell($known; $target):
	.scenario as $s |
	{
		verdict,
		before: (steps | first | .levels | levels),
		after: (steps | last | .levels | levels),
		events: (.events // 0),
		event_kinds: (.event_kinds // {}),
		nr_divergences: (.nr_divergences // 0),
		faults: (.faults // null),
		retries: (.retries // null),
		demand_faults: (.demand_faults // null),
		reason: (.reason // ""),
		diverged_at: ([(.steps // [])[] | .divergences[]? |
			"\(.step): \(.what)"] | unique | .[0:3]),
		known: (if .verdict == "diverge" then
			([$known[] | select(known_cells[.id] ==
				{target: $target, scenario: $s}) | .reason] | first)
			else null end)
	};
def kinds: [to_entries[] | "\(.key) \(.value)"] | join(", ") |
	if . == "" then "none" else . end;
# "field: 6.1 x, 6.12 y" when the kernels do not agree on it
def differ($name; f):
	[.[] | {k: .kernel, v: (.cell | f)}] as $c |
	if ([$c[].v] | unique | length) > 1 then
		["\($name): " + ([$c[] | "\(.k) \(.v)"] | join(", "))]
	else [] end;

. as $in |
{
	kernels: [$in[] | {label: .label, release: .release,
		entry_point: (.entry_point // "locked")}],
	timing: [
		($in[0].timing // [])[] | select(.not_applicable == null) |
		{target, kind, size_MiB: .size} as $row |
		$row + {cells: ([$in[] | .label as $k |
			((.timing // [])[] | select(.target == $row.target and
				.size == $row.size_MiB)) |
			{($k): {fault_ns, install_ns, leaf}}] | add)}
	],
	rows: [
		($in[0].doc.targets | to_entries[]) as $t |
		($t.value.scenarios[] | .scenario) as $s |
		[$in[] | .label as $k | (.known // []) as $known |
			(.doc.targets[$t.key].scenarios[] | select(.scenario == $s)) |
			{kernel: $k, cell: cell($known; $t.value.label)}] as $cells |
		($cells | differ("verdict"; .verdict) +
			differ("levels before"; .before) +
			differ("levels after"; .after) +
			differ("events"; .event_kinds | kinds) +
			differ("retries"; .retries) +
			differ("demand faults"; .demand_faults)) as $d |
		{
			target: $t.value.label,
			path: $t.value.target,
			kind: $t.value.kind,
			scenario: $s,
			cells: ($cells | map({(.kernel): .cell}) | add),
			differs: ($d | length > 0),
			differences: $d
		}
	]
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tool_tests.sh - the hmm-dax command in the hmm-dax guest: compare on every
# target (JSON parsed and checked), the other subcommands, exit statuses,
# and the fault-injection proof: with each of the driver's knobs on,
# "compare --scenario all" must report a divergence (exit 1).  Knob 0x4
# leaks a dev_pagemap reference for good, so it runs last.  TAP output;
# exit 0 when all is ok, 1 if not, 4 when it cannot run here.

set -u
# shellcheck source=hmm_dax_lib.sh
. "$(dirname "$0")/hmm_dax_lib.sh"

hmm_dax_prepare
tool=$HMM_DAX_ROOT/build/hmm-dax
[ -x "$tool" ] || skip "$tool not built (make userspace)"
command -v jq >/dev/null || skip "jq not installed (make deps)"
param=/sys/module/hmm_dax/parameters/fault_inject

work=$(mktemp -d) || exit 1
trap 'echo 0 >"$param" 2>/dev/null; rm -rf "${work:?}"; rm -f "${HMM_DAX_EXT4:?}/tool" "${HMM_DAX_XFS:?}/tool" "${HMM_DAX_XFS_REFLINK:?}/dax/tool" "${HMM_DAX_EXT4_INODE:?}/tool"' EXIT

# check NAME CMD...: ok if CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

targets=(ext4:"$HMM_DAX_EXT4/tool" xfs:"$HMM_DAX_XFS/tool"
	 xfs-reflink:"$HMM_DAX_XFS_REFLINK/dax/tool"
	 ext4-inode:"$HMM_DAX_EXT4_INODE/tool"
	 devdax-2M:"$HMM_DAX_DEVDAX_2M" devdax-1G:"$HMM_DAX_DEVDAX_1G"
	 anon:anon tmpfs:/tmp/tool-control)
# Scenarios that do not apply, per target (poison runs only when named).
# xfs-reflink is a DAX file on the xfs with reflink=1 mounted dax=inode,
# ext4-inode a page-cache file on the ext4 mounted dax=inode.
fs_na="devdax-disable dax-flag-flip reflink-cow misaligned-devdax poison"
declare -A not_applicable=(
	[ext4]=$fs_na [xfs]=$fs_na
	[xfs-reflink]="devdax-disable misaligned-devdax poison"
	[ext4-inode]="devdax-disable map-sync reflink-cow misaligned-devdax poison"
	[devdax-2M]="truncate punch-hole fork-private truncate-partial pmd-fallback dax-flag-flip reflink-cow poison"
	[devdax-1G]="partial-munmap truncate punch-hole fork-private truncate-partial pmd-fallback dax-flag-flip reflink-cow poison"
	[anon]="truncate punch-hole devdax-disable truncate-partial map-sync dax-flag-flip reflink-cow misaligned-devdax poison"
	[tmpfs]="devdax-disable map-sync dax-flag-flip reflink-cow misaligned-devdax poison"
)
kver=$(uname -r)

# verdicts JSON: each scenario's verdict as a comment; sets na (the
# scenarios that do not apply) and bad (those that neither agree nor are
# n/a, but for misaligned-devdax, which must be refused by the kernel).
verdicts() {
	jq -r '.targets[].scenarios[] | "\(.scenario) \(.verdict) \(.levels | join(",")) \(.reason // "")"' \
		"$1" | comment
	na=$(jq -r '[.targets[].scenarios[] | select(.verdict == "n/a") |
		.scenario] | join(" ")' "$1")
	bad=$(jq -r '[.targets[].scenarios[] |
		select(.verdict != "agree" and .verdict != "n/a") |
		select(.scenario != "misaligned-devdax" or .verdict != "refused") |
		.scenario] | join(" ")' "$1")
}

# compare_target LABEL TARGET ENTRY: compare --scenario all through the
# entry point ENTRY (locked or unlocked: --unlocked), JSON checked, and
# the entry point it reports.  16 MiB of each target (devdax-1G rounds it
# up to one 1 GiB unit).
compare_target() {
	local label=$1 target=$2 entry=$3 j=$work/$1.$3.json rc bad na why
	local args=(-j compare --size 16M --scenario all)

	[ "$entry" = locked ] || args+=(--unlocked)
	"$tool" "${args[@]}" "$target" >"$j"
	rc=$?
	[ "$entry" = locked ] || label="$label through the $entry entry point"
	[ "$(jq -r '.entry_point // empty' "$j")" = "$entry" ] ||
		{ rc="$rc, entry point '$(jq -r '.entry_point // empty' "$j")'"; }
	# every scenario agrees, or is n/a exactly where expected
	verdicts "$j"
	# the known kernel bug's exact symptom: only mprotect diverges, only
	# at its two steps, on a kernel older than the fix (known_bugs.h)
	if [ "$bad" = mprotect ] && [ "${label%% *}" = devdax-1G ] &&
	   why=$("$HMM_DAX_ROOT/build/selftests/known_bug" mprotect-dax-pud) &&
	   [ -z "$(jq -r '.targets[].scenarios[] | select(.scenario == "mprotect") |
		.steps[].divergences[] | select(.step != "after mprotect(PROT_READ)" and
		.step != "device write after mprotect") | .step' "$j")" ]; then
		jq -r '.targets[].scenarios[] | select(.scenario == "mprotect") |
			.steps[].divergences[] | "\(.step): \(.what)"' "$j" | comment
		n=$((n + 1))
		echo "ok $n compare $label # XFAIL $why"
		return
	fi
	if [ "$rc" = 0 ] && [ -z "$bad" ] && [ "$na" = "${not_applicable[${label%% *}]}" ] &&
	   [ "$(jq -r .verdict "$j")" = agree ]; then
		ok "compare $label: all scenarios agree (n/a: ${na:-none})"
	else
		not_ok "compare $label: exit $rc, diverged: ${bad:-none}, n/a: '$na' (expected '${not_applicable[${label%% *}]}')"
	fi
}

# through each entry point the kernel offers (locked; unlocked on 7.3 on)
entries=$("$HMM_DAX_ROOT/build/selftests/entry_points") ||
	not_ok "entry points: cannot tell"
for e in $entries; do
	for t in "${targets[@]}"; do
		compare_target "${t%%:*}" "${t#*:}" "$e"
	done
done

# misaligned-devdax named on its own: the kernel's refusal is an
# environment error (exit 2) with the kernel's reason, never agreement.
for t in "$HMM_DAX_DEVDAX_2M" "$HMM_DAX_DEVDAX_1G"; do
	"$tool" -j compare --scenario misaligned-devdax "$t" >"$work/m"
	rc=$?
	verdicts "$work/m"
	check "compare --scenario misaligned-devdax $t: exit $rc, refused with the kernel's reason" \
		test "$rc" = 2 -a "$(jq -r '.verdict' "$work/m")" = refused -a \
		-n "$(jq -r '.targets[].scenarios[].reason |
			select(test("dax_mmap[a-z_]*: fail"))' "$work/m")"
done

# The text output is the same run printed by the same calls.
"$tool" compare --size 16M --scenario munmap "$HMM_DAX_DEVDAX_2M" >"$work/text"
rc=$?
comment "$work/text"
check "text output: exit $rc, a munmap row and the verdict" \
	grep -q '^munmap  *agree 2M' "$work/text"

# Usage and environment errors: exit 2, and {"error": ...} in JSON mode.
expect_error() { # NAME ARGS...
	local name=$1 rc
	shift
	"$tool" -j "$@" >"$work/err" 2>&1
	rc=$?
	comment "$work/err"
	check "$name: exit 2 and a JSON error" \
		test "$rc" = 2 -a -n "$(jq -r '.error // empty' "$work/err")"
}
expect_error "unknown scenario" compare --scenario nonesuch anon
expect_error "missing file without --size" compare /tmp/no-such-file
expect_error "option of another command" read --threads 2 anon
expect_error "ambiguous prefix" d anon
expect_error "size larger than the device" \
	mirror --size 64G "$HMM_DAX_DEVDAX_2M"
expect_error "bad device index" -d 9 stats anon
expect_error "bench: a size that is not a multiple of 2 MiB" \
	bench --sizes 3M anon
expect_error "bench: a peer node that is not there" \
	bench --sizes 2M --peer /dev/no-such-dmirror anon

# The single-step subcommands, on devdax-2M (8 MiB: four 2 MiB leaves).
dd=$HMM_DAX_DEVDAX_2M
mark "tool subcommands devdax-2M"
"$tool" -j mirror --size 8M "$dd" >"$work/m"
check "mirror: four 2M leaves" test "$(jq '.mirror.leaves["2M"]' "$work/m")" = 4
"$tool" -j dump --size 8M "$dd" >"$work/d"
check "dump: four leaves, 2M, device-dax pgmap" \
	test "$(jq '[.leaves[] | select(.level == "2M" and .pgmap == "generic")] | length' "$work/d")" = 4
"$tool" -j write --size 8M --offset 4100 --len 16 --pattern 0x5a "$dd" >"$work/w"
"$tool" -j read --size 8M --offset 4100 --len 16 "$dd" >"$work/r"
check "write then read through the device: the bytes" \
	test "$(jq -r .data "$work/r")" = 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
"$tool" -j stats --size 8M "$dd" >"$work/s"
check "stats: four 2M leaves, pgmap references balanced" \
	test "$(jq '.stats.leaves[1] == 4 and .stats.pgmap_gets == .stats.pgmap_puts' "$work/s")" = true
"$tool" -j events --size 8M --scenario madvise-dontneed "$dd" >"$work/e"
jq -c '.events[]' "$work/e" | comment
check "events: MADV_DONTNEED sent a clear that met the mirror" \
	test "$(jq '[.events[] | select(.event == "clear")] | length > 0' "$work/e")" = true
"$tool" -j audit --size 8M "$dd" >"$work/a"
check "audit: exit 0, clean" test $? = 0 -a "$(jq .nr_stale "$work/a")" = 0
# events devdax-disable unbinds and binds the device under the mirror; the
# node must open again afterwards (no file of it may be closed after the
# bind: devdax-rebind-open in known_bugs.h), twice in a row.
"$tool" -j events --size 8M --scenario devdax-disable "$dd" >"$work/e1"
rc1=$?
"$tool" -j events --size 8M --scenario devdax-disable "$dd" >"$work/e2"
rc2=$?
"$tool" -j mirror --size 8M "$dd" >"$work/m2"
rc=$?
jq -c '[.events[] | .event]' "$work/e2" | comment
check "events devdax-disable twice (exit $rc1, $rc2): the node still mirrors (exit $rc)" \
	test "$rc1" = 0 -a "$rc2" = 0 -a "$rc" = 0 \
	-a "$(jq '.mirror.leaves["2M"]' "$work/m2" 2>/dev/null)" = 4

mark "tool stress devdax-2M"
"$tool" -j stress --size 8M --threads 2 --seconds 3 "$dd" >"$work/st"
rc=$?
jq -c '.operations' "$work/st" | comment
check "stress: exit $rc, operations done, no stale leaf" \
	test "$rc" = 0 -a "$(jq '.operations.mirror.count > 0 and .stale_leaves == 0' "$work/st")" = true

# bench: the numbers are there and consistent with what was mirrored; the
# test_hmm peer where the kernel carries it (newest), its absence elsewhere.
mark "tool bench"
peer=()
ko=$HMM_DAX_ROOT/build/$kver/peer/test_hmm.ko
if [ -f "$ko" ] && { [ -e /dev/hmm_dmirror0 ] || insmod "$ko"; }; then
	peer=(--peer /dev/hmm_dmirror0)
fi
"$tool" -j bench "${peer[@]}" --sizes 4M,8M "$dd" /tmp/tool-bench >"$work/b"
rc=$?
jq -c '.results[] | {target, size, leaf, fault_ns, install_ns, invalidate}' \
	"$work/b" | comment
check "bench: exit $rc, devdax-2M 2M leaves and tmpfs 4K, times and one-leaf invalidations" \
	test "$rc" = 0 -a "$(jq '[.results[] | select(.fault_ns > 0 and
		.install_ns > 0 and .audit_ns > 0 and .device_read_ns > 0 and
		.table_bytes > 0 and .invalidate.ns > 0 and
		.leaves[.leaf] == .size * 1048576 / (if .leaf == "2M" then 2097152 else 4096 end))] |
		map(.leaf) == ["2M", "2M", "4K", "4K"]' "$work/b")" = true
# bench's text table: every value ends where its column's header ends,
# with the peer's columns, and with a peer that fails (/dev/null: "-" in
# its columns, the reason after them).
for p in "${peer[*]:-}" "--peer /dev/null"; do
	# shellcheck disable=SC2086
	"$tool" bench $p --sizes 4M "$dd" >"$work/bt"
	comment "$work/bt"
	check "bench ${p:-without a peer}: the text table's values end under their headers" \
		awk 'NR == 1 { s = index($0, " ")
			       for (i = s; i <= length($0); i++)
				if (substr($0, i, 1) != " " &&
				    substr($0, i + 1, 1) ~ /^ ?$/)
					ends[i] = 1
			       next }
		     /^$/ { exit }
		     { for (i in ends)
				if (substr($0, i, 1) == " " || substr($0, i + 1, 1) !~ /^ ?$/)
					bad = 1 }
		     END { exit bad }' "$work/bt"
done
if [ ${#peer[@]} -gt 0 ]; then
	check "bench: test_hmm peer measured beside it" \
		test "$(jq '[.results[] | select(.peer.snapshot_ns > 0 and .peer.read_ns > 0)] | length' "$work/b")" = 4
	rmmod test_hmm
else
	check "bench: no peer, none reported" \
		test "$(jq '[.results[] | select(.peer)] | length' "$work/b")" = 0
fi

# The OpenCL view (PoCL in the guest): on every target each scenario
# agrees or is n/a exactly where expected, through zero-copy buffers.
declare -A opencl_na=(
	[ext4]="devdax-disable" [xfs]="devdax-disable"
	[xfs-reflink]="devdax-disable" [ext4-inode]="devdax-disable"
	[devdax-2M]="truncate punch-hole" [devdax-1G]="truncate punch-hole"
	[anon]="truncate punch-hole devdax-disable" [tmpfs]="devdax-disable"
)
opencl_target() { # LABEL TARGET
	local label=$1 j=$work/opencl-$1.json rc bad na
	mark "tool opencl $label"
	"$tool" -j opencl --size 16M "$2" >"$j"
	rc=$?
	verdicts "$j"
	check "opencl $label: exit $rc, diverged: ${bad:-none}, n/a: '$na', zero-copy" \
		test "$rc" = 0 -a -z "$bad" -a "$na" = "${opencl_na[$label]}" \
		-a "$(jq '.verdict == "agree" and .targets[0].buffers.zero_copy' "$j")" = true
}
for t in "${targets[@]}"; do
	opencl_target "${t%%:*}" "${t#*:}"
done
jq -c '.opencl_device | {name, platform, version, svm}' "$work/opencl-ext4.json" | comment

mkdir -p "$work/no-icd"
OCL_ICD_VENDORS=$work/no-icd "$tool" -j opencl anon >"$work/err" 2>&1
rc=$?
comment "$work/err"
check "opencl without an OpenCL platform: exit 2 and the reason" \
	test "$rc" = 2 -a -n "$(jq -r '.error // empty | select(contains("no OpenCL device"))' "$work/err")"
expect_error "opencl: a device number that is not there" opencl --device 7 anon
expect_error "opencl: a compare-only scenario" opencl --scenario munmap anon
expect_error "--device after another command" read --device 1 anon

# devices: what the guest has - the mirror nodes, both devdax devices with
# their alignment, the fsdax namespaces under the two file systems, the
# virtio-gpu DRM device with its render node, and the PoCL device.
mark "tool devices"
"$tool" -j devices >"$work/dev"
rc=$?
jq -c '{mirror_devices, dax: [.dax_regions[].devices[] | {dev, align}],
	namespaces: [.namespaces[] | {dev, mode, blockdev}], drm_devices,
	opencl: [.opencl.devices[] | {index, name, platform}]}' "$work/dev" | comment
dax_align() { jq --arg d "${1#/dev/}" '.dax_regions[].devices[] | select(.dev == $d) | .align' "$work/dev"; }
fsdax_dev() { jq -r --arg b "$(basename "$(findmnt -no SOURCE "$1")")" \
	'.namespaces[] | select(.mode == "fsdax" and .blockdev == "/dev/" + $b) | .dev' "$work/dev"; }
check "devices: exit $rc, /dev/hmm_dax0, devdax 2M and 1G aligned" \
	test "$rc" = 0 -a "$(jq '.mirror_devices | index("/dev/hmm_dax0") != null' "$work/dev")" = true \
	-a "$(dax_align "$HMM_DAX_DEVDAX_2M")" = 2097152 \
	-a "$(dax_align "$HMM_DAX_DEVDAX_1G")" = 1073741824
check "devices: the fsdax namespaces of ext4 and xfs" \
	test -n "$(fsdax_dev "$HMM_DAX_EXT4")" -a -n "$(fsdax_dev "$HMM_DAX_XFS")"
if [ ! -d /sys/module/virtio_gpu ]; then
	n=$((n + 1))
	echo "ok $n devices: virtio_gpu on PCI with its render node # SKIP $kver has no virtio_gpu (CONFIG_DRM_VIRTIO_GPU)"
else
	check "devices: virtio_gpu on PCI with its render node" \
		test "$(jq '[.drm_devices[] | select(.driver == "virtio_gpu" and .bus == "pci" and
			(.render | startswith("/dev/dri/renderD")))] | length' "$work/dev")" = 1
fi
check "devices: the PoCL device, with no DRM node (no PCI address)" \
	test "$(jq '[.opencl.devices[] | select(.platform == "Portable Computing Language" and
		.type == "cpu" and .drm_why != null)] | length' "$work/dev")" -ge 1

# The OpenCL comparison catches a mirror that ignores invalidations: after
# truncate and punch-hole its reads differ from the CPU's and OpenCL's.
echo 0x1 >"$param"
mark "tool opencl ext4"
"$tool" -j opencl --size 16M "$HMM_DAX_EXT4/tool" >"$work/k"
rc=$?
echo 0 >"$param"
jq -r '.targets[].scenarios[] | select(.verdict == "diverge") |
	"\(.scenario): \([.steps[].divergences[] | "\(.step): \(.what)"] | unique | join("; "))"' \
	"$work/k" | comment
check "fault_inject=0x1: opencl reports the mirror's stale reads (exit $rc)" \
	test "$rc" = 1 -a "$(jq '[.targets[].scenarios[] | select(.verdict == "diverge") |
		.scenario] == ["truncate", "punch-hole"] and
		([.targets[].scenarios[].steps[].divergences[] |
		select(.what == "mirror differs")] | length > 0)' "$work/k")" = true

# One print path: a diverging run printed as text and as JSON says the
# same - each scenario's verdict word, one "diverge [STEP]" line per
# divergence record, "nr_divergences" a number and every step's
# "divergences" an array.
echo 0x1 >"$param"
mark "tool text and JSON"
"$tool" -j compare --size 16M --scenario truncate "$HMM_DAX_EXT4/tool" >"$work/tj"
rcj=$?
"$tool" compare --size 16M --scenario truncate "$HMM_DAX_EXT4/tool" >"$work/tt"
rct=$?
echo 0 >"$param"
grep '^  truncate \|diverge \[\|^verdict' "$work/tt" | head -n 5 | comment
records=$(jq '[.targets[].scenarios[].steps[].divergences[]] | length' "$work/tj")
check "text and JSON (exit $rct, $rcj): verdict '$(jq -r .verdict "$work/tj")' in both, $records divergence records in both" \
	test "$rcj" = 1 -a "$rct" = 1 -a "$records" -gt 0 \
	-a "$(grep -c '^    diverge \[' "$work/tt")" = "$records" \
	-a "$(awk '$1 == "truncate" && NF >= 2 { print $2; exit }' "$work/tt")" = \
	   "$(jq -r '.targets[0].scenarios[0].verdict' "$work/tj")" \
	-a "$(sed -n 's/^verdict: //p' "$work/tt")" = "$(jq -r .verdict "$work/tj")" \
	-a "$(jq '[.targets[].scenarios[] | (.nr_divergences | type == "number")] +
		[.. | objects | select(has("divergences")) | .divergences | type == "array"] |
		all' "$work/tj")" = true

# Knob 0x1 (invalidations ignored) must break reflink-cow: the device's
# write lands in the blocks the clone shares.
echo 0x1 >"$param"
"$tool" -j compare --size 16M --scenario reflink-cow "$HMM_DAX_XFS_REFLINK/dax/tool" >"$work/k"
rc=$?
echo 0 >"$param"
verdicts "$work/k"
check "fault_inject=0x1: compare reflink-cow sees the clone change (exit $rc)" \
	test "$rc" = 1 -a "$(jq '[.targets[].scenarios[].steps[].divergences[] |
		select(.what == "the clone sees the device'"'"'s write")] | length' "$work/k")" -gt 0

# The fuzzer, bounded: 20 s on each of three targets with a seed of its
# own, which a failure prints to replay it.
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
for t in devdax-2M:"$HMM_DAX_DEVDAX_2M" ext4:"$HMM_DAX_EXT4/tool-fuzz" anon:anon; do
	"$tool" -j fuzz --seconds 20 --threads 2 --seed "$seed" "${t#*:}" >"$work/f"
	rc=$?
	jq -c '{seed, commands, racer_operations, undocumented_errors,
		stale_leaves, references_held, kernel_reports, first_odd,
		recent_commands}' "$work/f" | comment
	# The kernel's reports are kernel_log's to judge (below): a known
	# kernel bug the fuzzer provokes is attributed there, any other fails.
	check "fuzz ${t%%:*} (seed $seed): exit $rc, its own checks clean" \
		test "$rc" = 0 -o "$(jq '.undocumented_errors == 0 and
			.stale_leaves == 0 and .references_held == 0 and
			.kernel_reports > 0' "$work/f")" = true
done

# poison named on its own, on a DAX file of its own namespace and on the
# tmpfs control.  The poison stays until reboot: nothing after this uses
# that namespace or that page.  Before the knob proof, as 0x4 leaves
# references held, which every later compare reports.
for t in "$HMM_DAX_XFS_REFLINK/dax/poison" /tmp/tool-poison; do
	"$tool" -j compare --size 16M --scenario poison "$t" >"$work/p"
	rc=$?
	verdicts "$work/p"
	check "compare --scenario poison $t: exit $rc, agree" \
		test "$rc" = 0 -a "$(jq -r '.verdict' "$work/p")" = agree
	rm -f "$t"
done

# The fault-injection proof: every knob makes compare --scenario all
# diverge (exit 1) on ext4-dax or devdax-2M.
for knob in 0x1 0x2 0x8 0x4; do
	echo "$knob" >"$param"
	found=
	for t in "$HMM_DAX_EXT4/tool" "$HMM_DAX_DEVDAX_2M"; do
		"$tool" -j compare --size 16M --scenario all "$t" >"$work/k"
		rc=$?
		jq -r '.targets[].scenarios[] | select(.verdict == "diverge") |
			"\(.scenario): \([.steps[].divergences[].what] | unique | join("; "))"' \
			"$work/k" 2>/dev/null | comment
		if [ "$rc" = 1 ]; then
			found=$t
			break
		fi
	done
	echo 0 >"$param"
	check "fault_inject=$knob: compare reports a divergence${found:+ on $found}" \
		test -n "$found"
done

kernel_log_check "the tool's tests"
echo "1..$n"
exit $failed

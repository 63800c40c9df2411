#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh OUTDIR KERNEL...
#
# make bench: boot each kernel's guest with 3 GiB pmem regions, run
# `hmm-dax bench` on ext4-dax, xfs-dax, devdax-2M, devdax-1G and a tmpfs
# control, with lib/test_hmm.c as the peer where the kernel has
# CONFIG_DEVICE_PRIVATE, through each HMM entry point the kernel offers
# (entry_points); write OUTDIR/<version>.json, OUTDIR/<version>.txt (the
# table) and OUTDIR/<version>.png (mirror time against size, one line per
# target and leaf level, hmm-dax and test_hmm), and the same as
# <version>-unlocked.* for the unlocked entry point (7.3 on).

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/kernels.sh"

out=$1
shift
sizes=${HMM_DAX_BENCH_SIZES:-64M,256M,1G,2G}
# Without ERMS, copy_mc_to_kernel() is memcpy(): TCG runs its rep movsb a
# byte at a time (Documentation/bench.rst, "The guest's CPU").
cpu=${HMM_DAX_BENCH_CPU:-max,-erms}
mkdir -p "$out"
out=$(cd "$out" && pwd)
status=0

for k in "$@"; do
	kv=$(kernel_version "$k") || { echo "bench: kernel $k is not set up" >&2; exit 2; }
	ko=$top/build/$kv/peer/test_hmm.ko
	why=
	if ! config=$(kernel_config "$k"); then
		why="no kernel config for $kv"
	elif ! grep -q '^CONFIG_DEVICE_PRIVATE=y' "$config"; then
		why="CONFIG_DEVICE_PRIVATE is not set in $kv: test_hmm cannot load"
	elif [ ! -f "$ko" ]; then
		why="$ko not built (make all builds it)"
	fi
	run=$(mktemp -d) || exit 1
	cat >"$run/bench" <<-GUEST
	#!/bin/bash
	peer=()
	if [ -z "$why" ]; then
		insmod "$ko" && peer=(--peer /dev/hmm_dmirror0)
	fi
	"\$HMM_DAX_ROOT/build/selftests/entry_points" >/extra/entries || exit 1
	for e in \$(cat /extra/entries); do
		flag=()
		[ "\$e" = locked ] || flag=(--unlocked)
		"\$HMM_DAX_ROOT/build/hmm-dax" -j bench "\${flag[@]}" "\${peer[@]}" \\
			--sizes "$sizes" \\
			"\$HMM_DAX_EXT4/hmm-dax-bench" "\$HMM_DAX_XFS/hmm-dax-bench" \\
			"\$HMM_DAX_DEVDAX_2M" "\$HMM_DAX_DEVDAX_1G" \\
			/tmp/hmm-dax-bench-control >/extra/result-\$e.json
	done
	GUEST
	chmod +x "$run/bench"
	echo "bench: $kv (sizes $sizes, guest CPU $cpu)"
	start=$(date +%s)
	HMM_DAX_VM_CPU=$cpu "$top/selftests/vm/hmm-dax-vm" --kernel "$k" \
		--pmem 3 --add "$run" --timeout 3600 -- /extra/bench \
		>"$out/$kv.log" 2>&1
	rc=$?
	if [ "$rc" != 0 ] || [ ! -s "$run/entries" ]; then
		echo "bench: $kv failed (status $rc), see $out/$kv.log" >&2
		status=1
		rm -rf "${run:?}"
		continue
	fi
	# one result per entry point: KV.json (locked), KV-unlocked.json
	for e in $(cat "$run/entries"); do
		name=$kv
		[ "$e" = locked ] || name=$kv-$e
		if ! jq -e .results "$run/result-$e.json" >/dev/null 2>&1; then
			echo "bench: $kv $e: no result, see $out/$kv.log" >&2
			status=1
			continue
		fi
		jq --arg kernel "$kv" --arg why "$why" --arg cpu "$cpu" \
			--arg secs "$(( $(date +%s) - start ))" \
			'. + {kernel: $kernel, guest_cpu: $cpu,
			      wall_seconds: ($secs | tonumber)} +
			 (if $why == "" then {} else {peer_unavailable: $why} end)' \
			"$run/result-$e.json" >"$out/$name.json"
		"$here/bench-report.sh" "$out/$name.json" >"$out/$name.txt" &&
			cat "$out/$name.txt" || status=1
	done
	rm -rf "${run:?}"
done
exit $status

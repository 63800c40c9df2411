#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test bed's own contract, checked from the host as TAP: CMD's exit
# status comes back, --add DIR is writable at /extra, a guest that panics or
# hangs gets its own status, and bad usage is refused before booting.

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vm=$here/hmm-dax-vm
kernel=${1:-6.12}
n=0
fails=0

# t NAME EXPECTED_STATUS hmm-dax-vm-args...
t() {
	local name=$1 want=$2 got
	shift 2
	n=$((n + 1))
	"$vm" "$@" >"$log" 2>&1
	got=$?
	if [ "$got" = "$want" ] && { [ -z "$check" ] || eval "$check"; }; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		echo "# status $got, expected $want${check:+, and $check}"
		tail -n 15 "$log" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
	check=
}

log=$(mktemp)
extra=$(mktemp -d)
trap 'rm -rf "$log" "$extra"' EXIT
check=

echo "TAP version 13"
check='[ "$(cat "$extra/out")" = "$top ext4 xfs" ]'
t status_env_and_extra 7 --kernel "$kernel" --add "$extra" -- sh -c \
	'[ -c "$HMM_DAX_DEVDAX_2M" ] && [ -c "$HMM_DAX_DEVDAX_1G" ] &&
	 echo "$HMM_DAX_ROOT ${HMM_DAX_EXT4##*/} ${HMM_DAX_XFS##*/}" >/extra/out
	 exit 7'
check='grep -q "guest died" "$log"'
t panic_is_125 125 --kernel "$kernel" -- sh -c 'echo c >/proc/sysrq-trigger'
check='grep -q "timed out" "$log"'
t timeout_is_124 124 --kernel "$kernel" --timeout 25 -- sleep 300
t unknown_kernel_is_usage 2 --kernel 5.10 -- true
t bad_add_is_usage 2 --add /nonexistent/dir -- true
t missing_command_is_usage 2 --kernel "$kernel"
echo "1..$n"
[ "$fails" -eq 0 ]

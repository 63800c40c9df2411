#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test bed's own contract, checked from the host as TAP: CMD's exit
# status comes back, --add DIR is writable at /extra, a guest that panics or
# hangs gets its own status, and bad usage is refused before booting: so is
# a --kernel PATH that is no kernel, was never built, has no modules, or
# lacks options of selftests/config (each named, nothing left behind).

set -u
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
fake=$(mktemp -d)
trap 'rm -rf "${log:?}" "${extra:?}" "${fake:?}"' EXIT
check=

# A built tree as far as the test bed looks, but configured without two
# options the suite needs: its bzImage is the packaged kernel's.
. "$top/scripts/kernels.sh"
mkdir -p "$fake/tree/arch/x86/boot" "$fake/tree/include/config" "$fake/src"
cp "$(kernel_image "$kernel")" "$fake/tree/arch/x86/boot/bzImage"
grep -v -E '^CONFIG_(FS_DAX|HMM_MIRROR)=' "$(kernel_config "$kernel")" \
	>"$fake/tree/.config"
echo 6.0.0-hmm-dax-fake >"$fake/tree/include/config/kernel.release"
: >"$fake/tree/Module.symvers"
: >"$fake/tree/modules.order"
: >"$fake/src/Kconfig"

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
check='grep -q "no kernel tree or bzImage there" "$log"'
t kernel_path_missing 2 --kernel "$fake/none" -- true
check='grep -q "not a kernel tree or a bzImage" "$log"'
t kernel_path_not_a_kernel 2 --kernel "$top/README" -- true
check='grep -q "never built" "$log"'
t kernel_tree_never_built 2 --kernel "$fake/src" -- true
check='grep -q "has no lib/modules/.*/modules.dep" "$log"'
t bzimage_modules_missing 2 --kernel "$fake/tree/arch/x86/boot/bzImage" \
	--modules "$fake/src" -- true
check='grep -q "lacks: CONFIG_HMM_MIRROR CONFIG_FS_DAX " "$log" &&
	! ls -d "$HMM_DAX_CACHE"/own/*/lib/modules/6.0.0-hmm-dax-fake 2>/dev/null'
t kernel_config_lacks_options 2 --kernel "$fake/tree" --check
echo "1..$n"
[ "$fails" -eq 0 ]

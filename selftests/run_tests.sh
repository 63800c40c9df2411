#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the hmm_dax kselftests.  Skips (kselftest exit 4) with the reason when
# the machine cannot run them: not root, no hmm_dax module, no pmem.
# In the hmm-dax guest the module is loaded and the DAX targets are set up.

# shellcheck source=hmm_dax_lib.sh
. "$(dirname "$0")/hmm_dax_lib.sh"

hmm_dax_prepare
ls /dev/pmem* /dev/dax* >/dev/null 2>&1 ||
	echo "# no pmem or device-dax: DAX variants will skip (see selftests/config)"
exec "$bin" "$@"

// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi header stands alone in userspace: it compiles with nothing but
 * itself included, under -Wall -Wextra -Werror, and its constants hold.
 */
#include "../../kernel/hmm_dax_uapi.h"

_Static_assert(HMM_DAX_NR_DEVICES >= 2, "two devices can mirror one range");
_Static_assert(HMM_DAX_IOC_TYPE == 'H', "ioctl type byte");

int main(void)
{
	return 0;
}

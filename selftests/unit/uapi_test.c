// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi header stands alone in userspace: it compiles with nothing but
 * itself included, under -Wall -Wextra -Werror -pedantic, and its constants
 * hold.
 */
#include "../../kernel/hmm_dax_uapi.h"

int main(void)
{
	/* two devices can mirror one range; 'H' is the ioctl type byte */
	return !(HMM_DAX_NR_DEVICES >= 2 && HMM_DAX_IOC_TYPE == 'H');
}

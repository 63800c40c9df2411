/* SPDX-License-Identifier: GPL-2.0 */
/* Host stand-in for the kernel's <linux/errno.h>, for the unit tests. */
#include_next <linux/errno.h>

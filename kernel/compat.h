/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every difference between the kernels hmm_dax builds for
 * (Debian's 6.1, 6.12 and sid's newest, and kernels built by users).
 *
 * Nothing else in the module tests LINUX_VERSION_CODE or kernel config.
 */
#ifndef _HMM_DAX_COMPAT_H
#define _HMM_DAX_COMPAT_H

#include <linux/version.h>

#endif /* _HMM_DAX_COMPAT_H */

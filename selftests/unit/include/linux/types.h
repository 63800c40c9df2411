/* SPDX-License-Identifier: GPL-2.0 */
/* Host stand-in for the kernel's <linux/types.h>, for the unit tests. */
#ifndef _HMM_DAX_UNIT_TYPES_H
#define _HMM_DAX_UNIT_TYPES_H
#include_next <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef unsigned int gfp_t;
#endif

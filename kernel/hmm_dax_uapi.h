/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hmm_dax_uapi.h - interface of the hmm_dax mirror test driver
 *
 * The module creates character devices /dev/hmm_dax0 .. /dev/hmm_dax<N-1>.
 * Each open file is one mirror: a simulated device that mirrors the opener's
 * address space with hmm_range_fault() into a device page table of PUD, PMD
 * and PTE leaves.  All commands are ioctls on that file.
 *
 * Conventions, shared by every command added here:
 *  - every field is a fixed-width __u64 or __u32, each marked (in) or (out);
 *  - user pointers are passed as __u64;
 *  - a command the driver does not know returns -ENOTTY.
 *
 * This header is included by the kernel module, libhmmdax and the selftests;
 * it depends on <linux/types.h> and <linux/ioctl.h> only.
 */
#ifndef _HMM_DAX_UAPI_H
#define _HMM_DAX_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Number of /dev/hmm_dax<N> devices the module creates. */
#define HMM_DAX_NR_DEVICES	4

/* ioctl type byte of every hmm_dax command. */
#define HMM_DAX_IOC_TYPE	'H'

#endif /* _HMM_DAX_UAPI_H */

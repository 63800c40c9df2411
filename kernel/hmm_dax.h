/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax.h - types shared by the hmm_dax module's files
 */
#ifndef _HMM_DAX_H
#define _HMM_DAX_H

#include <linux/miscdevice.h>
#include <linux/mm_types.h>

#include "compat.h"
#include "hmm_dax_uapi.h"

/**
 * struct hmm_dax_device - one simulated device, /dev/hmm_dax<id>
 * @misc: the character device
 * @id: index in 0 .. HMM_DAX_NR_DEVICES - 1
 * @name: "hmm_dax<id>", the device node's name
 */
struct hmm_dax_device {
	struct miscdevice misc;
	unsigned int id;
	char name[16];
};

/**
 * struct hmm_dax_mirror - one open file: a device mirroring one mm
 * @hdev: the device it was opened on
 * @mm: the mm of the opener; ioctls from any other mm get -EPERM
 */
struct hmm_dax_mirror {
	struct hmm_dax_device *hdev;
	struct mm_struct *mm;
};

#endif /* _HMM_DAX_H */

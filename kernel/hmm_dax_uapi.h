/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hmm_dax_uapi.h - interface of the hmm_dax mirror test driver
 *
 * The module creates character devices /dev/hmm_dax0 .. /dev/hmm_dax<N-1>.
 * Each open file is one mirror: a simulated device that mirrors the opener's
 * address space with hmm_range_fault() into a device page table of PUD,
 * PMD and PTE leaves.  A leaf is never larger than the CPU's mapping of the
 * same address and never crosses a VMA; it may extend beyond the range that
 * was asked for, exactly as far as the CPU's leaf does.  All commands are
 * ioctls on that file:
 *
 * HMM_DAX_MIRROR (struct hmm_dax_range)
 *	Mirror [addr, addr + len).  Without flags, fault for read; with
 *	HMM_DAX_MIRROR_WRITE, fault for write (the leaves are writable); with
 *	HMM_DAX_MIRROR_SNAPSHOT, fault nothing and mirror what the CPU has
 *	(pages the CPU has not mapped get no leaf).  Every page of the range
 *	must be in a VMA that is not VM_IO or VM_PFNMAP.
 * HMM_DAX_DUMP (struct hmm_dax_dump)
 *	Copy out the leaves that meet [addr, addr + len), in address order.
 * HMM_DAX_READ, HMM_DAX_WRITE (struct hmm_dax_access)
 *	Copy bytes between a user buffer and [addr, addr + len) *through the
 *	device page table*, as a DMA engine would.  A page with no leaf (or no
 *	writable leaf, for a write) is demand-faulted like a replayable device
 *	fault; if the CPU cannot fault it either, the command fails.
 * HMM_DAX_STATS (struct hmm_dax_stats)
 *	Counters of this mirror, and the module's dev_pagemap reference counts.
 * HMM_DAX_EVENTS (struct hmm_dax_events)
 *	Drain the invalidation log, oldest first.  Only invalidations that met
 *	at least one leaf are logged; the log holds HMM_DAX_EVENT_LOG entries
 *	and counts what it had to drop.
 * HMM_DAX_AUDIT (struct hmm_dax_audit)
 *	Compare every leaf meeting [addr, addr + len) with the CPU page table
 *	(a non-faulting hmm_range_fault()) and with its dev_pagemap; report
 *	each leaf that disagrees.  A correct mirror audits clean whenever no
 *	invalidation is in flight.
 * HMM_DAX_RESET (no argument)
 *	Drop every leaf and the event log.  Counters are kept.
 *
 * Errors, common to all commands:
 *	-EPERM	the file is used from an mm other than its opener's;
 *	-ENOTTY	unknown command;
 *	-EFAULT	a bad user pointer, a range not (entirely) in user VMAs, or
 *		VM_IO / VM_PFNMAP memory;
 *	-EINVAL	zero length, a range or address not page aligned (the
 *		mirror, dump and audit ranges), unknown flags, non-zero
 *		reserved fields, a range that wraps or ends beyond the user
 *		address space;
 *	-E2BIG	a request larger than its HMM_DAX_MAX_* limit;
 *	-EPERM	a device write to memory the CPU maps read-only;
 *	-EBUSY	invalidations kept the range changing for longer than the
 *		driver's retry timeout;
 *	-EOPNOTSUPP HMM_DAX_MIRROR_UNLOCKED on a kernel without
 *		hmm_range_fault_unlocked_timeout() (before 7.3).
 * The pfns of leaves, audit reports and events are 0 (and
 * HMM_DAX_LEAF_PFN_HIDDEN is set) unless the file was opened with
 * CAP_SYS_ADMIN, as for /proc/PID/pagemap.
 *
 * Conventions: every field is a fixed-width __u64 or __u32, each marked
 * (in) or (out); user pointers are passed as __u64; outputs are written only
 * when the command succeeds.  This header is included by the kernel module,
 * libhmmdax and the selftests; it depends on <linux/types.h> and
 * <linux/ioctl.h> only.
 */
#ifndef _HMM_DAX_UAPI_H
#define _HMM_DAX_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Number of /dev/hmm_dax<N> devices the module creates. */
#define HMM_DAX_NR_DEVICES	4

/* ioctl type byte of every hmm_dax command. */
#define HMM_DAX_IOC_TYPE	'H'

/* Leaf levels: a leaf at level L maps 4 KiB << (9 * L). */
#define HMM_DAX_LEVEL_PTE	0	/* 4 KiB */
#define HMM_DAX_LEVEL_PMD	1	/* 2 MiB */
#define HMM_DAX_LEVEL_PUD	2	/* 1 GiB */
#define HMM_DAX_NR_LEVELS	3

/* Limits of one request. */
#define HMM_DAX_MAX_DUMP	0x100000	/* leaves per HMM_DAX_DUMP */
#define HMM_DAX_MAX_ACCESS	0x40000000	/* bytes per READ or WRITE */
#define HMM_DAX_MAX_AUDIT	0x10000	/* reports per HMM_DAX_AUDIT */
#define HMM_DAX_EVENT_LOG	256		/* events the log holds */

/*
 * struct hmm_dax_range.flags.  HMM_DAX_MIRROR_UNLOCKED mirrors through
 * hmm_range_fault_unlocked_timeout() (7.3), which takes mmap_lock itself,
 * instead of hmm_range_fault() under mmap_read_lock(); the mirror's demand
 * faults and audits then take the same entry point, until the next
 * HMM_DAX_MIRROR.  -EOPNOTSUPP where the kernel has no such call.
 */
#define HMM_DAX_MIRROR_WRITE	0x1	/* fault for write */
#define HMM_DAX_MIRROR_SNAPSHOT	0x2	/* do not fault */
#define HMM_DAX_MIRROR_UNLOCKED	0x4	/* the unlocked entry point */

/**
 * struct hmm_dax_range - HMM_DAX_MIRROR
 * @addr: (in) first address, page aligned
 * @len: (in) bytes, page aligned, not zero
 * @flags: (in) HMM_DAX_MIRROR_*
 * @reserved: (in) zero
 * @leaves: (out) leaves installed, per level
 * @pages: (out) 4 KiB pages the installed leaves map
 * @retries: (out) times the range changed under the mirror and it retried
 * @fault_ns: (out) time spent in hmm_range_fault()
 * @install_ns: (out) time spent checking pgmaps and installing leaves
 */
struct hmm_dax_range {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 reserved;
	__u64 leaves[HMM_DAX_NR_LEVELS];
	__u64 pages;
	__u64 retries;
	__u64 fault_ns;
	__u64 install_ns;
};

/* struct hmm_dax_leaf.flags */
#define HMM_DAX_LEAF_WRITE	0x01	/* the device may write */
#define HMM_DAX_LEAF_DEVICE	0x02	/* ZONE_DEVICE page */
#define HMM_DAX_LEAF_ZERO	0x04	/* the shared (huge) zero page */
#define HMM_DAX_LEAF_TYPE_SHIFT	3	/* 2 bits: HMM_DAX_PGMAP_* */
#define HMM_DAX_LEAF_PFN_HIDDEN	0x20	/* pfn withheld: no CAP_SYS_ADMIN */
#define HMM_DAX_LEAF_TYPE(f)	(((f) >> HMM_DAX_LEAF_TYPE_SHIFT) & 3)

/* dev_pagemap type of a ZONE_DEVICE leaf, HMM_DAX_LEAF_TYPE(flags). */
#define HMM_DAX_PGMAP_NONE	0	/* not ZONE_DEVICE */
#define HMM_DAX_PGMAP_FSDAX	1	/* MEMORY_DEVICE_FS_DAX */
#define HMM_DAX_PGMAP_GENERIC	2	/* MEMORY_DEVICE_GENERIC: device-dax */
#define HMM_DAX_PGMAP_OTHER	3

/**
 * struct hmm_dax_leaf - one leaf of the device page table
 * @addr: first virtual address the leaf maps
 * @pfn: pfn at @addr
 * @level: HMM_DAX_LEVEL_*
 * @flags: HMM_DAX_LEAF_*
 */
struct hmm_dax_leaf {
	__u64 addr;
	__u64 pfn;
	__u32 level;
	__u32 flags;
};

/**
 * struct hmm_dax_dump - HMM_DAX_DUMP
 * @addr: (in) first address, page aligned
 * @len: (in) bytes, page aligned, not zero
 * @leaves: (in) user array of @max struct hmm_dax_leaf
 * @max: (in) capacity of @leaves, at most HMM_DAX_MAX_DUMP (may be 0)
 * @count: (out) leaves written
 * @total: (out) leaves meeting the range (more than @count if @max was
 *	   too small)
 */
struct hmm_dax_dump {
	__u64 addr;
	__u64 len;
	__u64 leaves;
	__u64 max;
	__u64 count;
	__u64 total;
};

/**
 * struct hmm_dax_access - HMM_DAX_READ and HMM_DAX_WRITE
 * @addr: (in) first device virtual address, any alignment
 * @len: (in) bytes, 1 .. HMM_DAX_MAX_ACCESS
 * @buf: (in) user buffer of @len bytes
 * @faults: (out) demand faults the access took
 * @ns: (out) time spent copying through the table, faults excluded
 */
struct hmm_dax_access {
	__u64 addr;
	__u64 len;
	__u64 buf;
	__u64 faults;
	__u64 ns;
};

/**
 * struct hmm_dax_stats - HMM_DAX_STATS
 * @id: (out) mirror id: /sys/kernel/debug/hmm_dax/mirror<id>
 * @leaves: (out) leaves in the table now, per level
 * @table_bytes: (out) memory the table holds now
 * @peak_bytes: (out) most memory the mirror held at once (table and
 *		transient buffers)
 * @mirrors: (out) mirror requests, demand faults included
 * @faults: (out) calls of either entry point (hmm_range_fault() or
 *	    hmm_range_fault_unlocked_timeout())
 * @retries: (out) -EBUSY or sequence retries
 * @installed: (out) leaves installed, per level
 * @invalidations: (out) notifier callbacks
 * @nonblock_busy: (out) non-blockable callbacks refused (table busy)
 * @zapped: (out) leaves removed by invalidations, per level
 * @split: (out) huge leaves split by a partial invalidation, per level
 * @whole: (out) huge leaves zapped whole because a split found no memory
 * @reads: (out) HMM_DAX_READ bytes
 * @writes: (out) HMM_DAX_WRITE bytes
 * @demand_faults: (out) demand faults taken by reads and writes
 * @audits: (out) audit requests
 * @stale: (out) stale leaves audits found
 * @pgmap_dead: (out) ZONE_DEVICE pfns not installed: pgmap going away
 * @events_lost: (out) log entries dropped because the log was full
 * @pgmap_gets: (out) module-wide get_dev_pagemap() references taken
 * @pgmap_puts: (out) module-wide references dropped; equal at rest
 * @faults_unlocked: (out) of @faults, those through
 *		     hmm_range_fault_unlocked_timeout()
 */
struct hmm_dax_stats {
	__u64 id;
	__u64 leaves[HMM_DAX_NR_LEVELS];
	__u64 table_bytes;
	__u64 peak_bytes;
	__u64 mirrors;
	__u64 faults;
	__u64 retries;
	__u64 installed[HMM_DAX_NR_LEVELS];
	__u64 invalidations;
	__u64 nonblock_busy;
	__u64 zapped[HMM_DAX_NR_LEVELS];
	__u64 split[HMM_DAX_NR_LEVELS];
	__u64 whole[HMM_DAX_NR_LEVELS];
	__u64 reads;
	__u64 writes;
	__u64 demand_faults;
	__u64 audits;
	__u64 stale;
	__u64 pgmap_dead;
	__u64 events_lost;
	__u64 pgmap_gets;
	__u64 pgmap_puts;
	__u64 faults_unlocked;
};

/* struct hmm_dax_event.event: the kernel's enum mmu_notifier_event. */
#define HMM_DAX_EV_UNMAP		0
#define HMM_DAX_EV_CLEAR		1
#define HMM_DAX_EV_PROTECTION_VMA	2
#define HMM_DAX_EV_PROTECTION_PAGE	3
#define HMM_DAX_EV_SOFT_DIRTY		4
#define HMM_DAX_EV_RELEASE		5
#define HMM_DAX_EV_MIGRATE		6
#define HMM_DAX_EV_EXCLUSIVE		7

/* struct hmm_dax_event.flags */
#define HMM_DAX_EVENT_BLOCKABLE	0x1	/* the callback was allowed to sleep */

/**
 * struct hmm_dax_event - one logged invalidation
 * @start: (out) first address of the invalidated range
 * @end: (out) end of the range, exclusive
 * @seq: (out) number of the event since the file was opened, from 1
 * @event: (out) HMM_DAX_EV_*
 * @flags: (out) HMM_DAX_EVENT_*
 * @zapped: (out) leaves removed, per level
 * @split: (out) huge leaves split, per level
 * @whole: (out) huge leaves zapped whole for want of memory, per level
 * @ns: (out) time the callback spent zapping, at most U32_MAX
 */
struct hmm_dax_event {
	__u64 start;
	__u64 end;
	__u64 seq;
	__u32 event;
	__u32 flags;
	__u32 zapped[HMM_DAX_NR_LEVELS];
	__u32 split[HMM_DAX_NR_LEVELS];
	__u32 whole[HMM_DAX_NR_LEVELS];
	__u32 ns;
};

/**
 * struct hmm_dax_events - HMM_DAX_EVENTS
 * @events: (in) user array of @max struct hmm_dax_event
 * @max: (in) capacity of @events, 1 .. HMM_DAX_EVENT_LOG
 * @count: (out) events written and removed from the log
 * @lost: (out) events dropped since the last HMM_DAX_EVENTS
 */
struct hmm_dax_events {
	__u64 events;
	__u64 max;
	__u64 count;
	__u64 lost;
};

/* struct hmm_dax_stale.reason: bits, several may be set. */
#define HMM_DAX_STALE_ABSENT	0x01	/* the CPU maps nothing there */
#define HMM_DAX_STALE_PFN	0x02	/* the CPU maps another pfn */
#define HMM_DAX_STALE_WRITE	0x04	/* device writable, CPU read-only */
#define HMM_DAX_STALE_LEVEL	0x08	/* leaf larger than the CPU's */
#define HMM_DAX_STALE_PGMAP	0x10	/* pgmap dead or of another type */

/**
 * struct hmm_dax_stale - one leaf that no longer matches the CPU
 * @addr: first address where it differs
 * @dev_pfn: the leaf's pfn at @addr
 * @cpu_pfn: the CPU's pfn at @addr, 0 if absent
 * @level: the leaf's HMM_DAX_LEVEL_*
 * @reason: HMM_DAX_STALE_*
 */
struct hmm_dax_stale {
	__u64 addr;
	__u64 dev_pfn;
	__u64 cpu_pfn;
	__u32 level;
	__u32 reason;
};

/**
 * struct hmm_dax_audit - HMM_DAX_AUDIT
 * @addr: (in) first address, page aligned
 * @len: (in) bytes, page aligned, not zero
 * @stale: (in) user array of @max struct hmm_dax_stale, or 0
 * @max: (in) capacity of @stale, at most HMM_DAX_MAX_AUDIT
 * @leaves: (out) leaves checked
 * @nr_stale: (out) stale leaves found (may exceed @count)
 * @count: (out) reports written
 * @ns: (out) time the audit took, hmm_range_fault() included
 */
struct hmm_dax_audit {
	__u64 addr;
	__u64 len;
	__u64 stale;
	__u64 max;
	__u64 leaves;
	__u64 nr_stale;
	__u64 count;
	__u64 ns;
};

#define HMM_DAX_MIRROR	_IOWR(HMM_DAX_IOC_TYPE, 0x00, struct hmm_dax_range)
#define HMM_DAX_DUMP	_IOWR(HMM_DAX_IOC_TYPE, 0x01, struct hmm_dax_dump)
#define HMM_DAX_READ	_IOWR(HMM_DAX_IOC_TYPE, 0x02, struct hmm_dax_access)
#define HMM_DAX_WRITE	_IOWR(HMM_DAX_IOC_TYPE, 0x03, struct hmm_dax_access)
#define HMM_DAX_STATS	_IOR(HMM_DAX_IOC_TYPE, 0x04, struct hmm_dax_stats)
#define HMM_DAX_EVENTS	_IOWR(HMM_DAX_IOC_TYPE, 0x05, struct hmm_dax_events)
#define HMM_DAX_AUDIT	_IOWR(HMM_DAX_IOC_TYPE, 0x06, struct hmm_dax_audit)
#define HMM_DAX_RESET	_IO(HMM_DAX_IOC_TYPE, 0x07)

#endif /* _HMM_DAX_UAPI_H */

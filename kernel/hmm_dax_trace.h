/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmm_dax_trace.h - tracepoints: mirror, invalidate and audit
 *
 *   trace-cmd record -e hmm_dax ...   or   perf trace -e 'hmm_dax:*' ...
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM hmm_dax

#if !defined(_HMM_DAX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _HMM_DAX_TRACE_H

#include <linux/tracepoint.h>

/* A mirror request: range, flags, leaves installed per level, result. */
TRACE_EVENT(hmm_dax_mirror,
	TP_PROTO(u64 id, u64 start, u64 end, u32 flags, const u64 *leaves,
		 u64 retries, int ret),
	TP_ARGS(id, start, end, flags, leaves, retries, ret),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u64, start)
		__field(u64, end)
		__field(u32, flags)
		__field(int, ret)
		__field(u64, pte)
		__field(u64, pmd)
		__field(u64, pud)
		__field(u64, retries)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->start = start;
		__entry->end = end;
		__entry->flags = flags;
		__entry->ret = ret;
		__entry->pte = leaves[0];
		__entry->pmd = leaves[1];
		__entry->pud = leaves[2];
		__entry->retries = retries;
	),
	TP_printk("mirror%llu %#llx-%#llx flags=%#x leaves pte=%llu pmd=%llu pud=%llu retries=%llu ret=%d",
		  __entry->id, __entry->start, __entry->end, __entry->flags,
		  __entry->pte, __entry->pmd, __entry->pud, __entry->retries,
		  __entry->ret)
);

/* An invalidation that met leaves: what it removed, split, zapped whole. */
TRACE_EVENT(hmm_dax_invalidate,
	TP_PROTO(u64 id, unsigned long start, unsigned long end, int event,
		 bool blockable, const unsigned long *zapped,
		 const unsigned long *split, const unsigned long *whole),
	TP_ARGS(id, start, end, event, blockable, zapped, split, whole),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(int, event)
		__field(bool, blockable)
		__array(unsigned long, zapped, 3)
		__array(unsigned long, split, 3)
		__array(unsigned long, whole, 3)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->start = start;
		__entry->end = end;
		__entry->event = event;
		__entry->blockable = blockable;
		memcpy(__entry->zapped, zapped, sizeof(__entry->zapped));
		memcpy(__entry->split, split, sizeof(__entry->split));
		memcpy(__entry->whole, whole, sizeof(__entry->whole));
	),
	TP_printk("mirror%llu %#lx-%#lx event=%d blockable=%d zapped pte=%lu pmd=%lu pud=%lu split pmd=%lu pud=%lu whole pmd=%lu pud=%lu",
		  __entry->id, __entry->start, __entry->end, __entry->event,
		  __entry->blockable, __entry->zapped[0], __entry->zapped[1],
		  __entry->zapped[2], __entry->split[1], __entry->split[2],
		  __entry->whole[1], __entry->whole[2])
);

/* An audit: leaves checked and stale leaves found. */
TRACE_EVENT(hmm_dax_audit,
	TP_PROTO(u64 id, u64 start, u64 end, u64 leaves, u64 stale, int ret),
	TP_ARGS(id, start, end, leaves, stale, ret),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u64, start)
		__field(u64, end)
		__field(u64, leaves)
		__field(u64, stale)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->start = start;
		__entry->end = end;
		__entry->leaves = leaves;
		__entry->stale = stale;
		__entry->ret = ret;
	),
	TP_printk("mirror%llu %#llx-%#llx leaves=%llu stale=%llu ret=%d",
		  __entry->id, __entry->start, __entry->end, __entry->leaves,
		  __entry->stale, __entry->ret)
);

#endif /* _HMM_DAX_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE hmm_dax_trace
#include <trace/define_trace.h>

// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios that change the address space (scenario.h): CPU and device
 * writes, munmap whole and in part, mremap, mprotect, MADV_DONTNEED, a
 * fork's private copy, a process that exits with its mirror open, a mirror
 * that races an invalidation, private copies of huge leaves, and poison.
 * Each compare body checks every view after its change (steps.c); the
 * opencl bodies check the OpenCL view (opencl_view.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "scenario.h"
#include "opencl.h"

#define RACE_ROUNDS	4

int sc_cpu_write(struct run *r)
{
	fill_tags(r, mid(r) - PAGE, 2 * PAGE, 0xc0);
	memset(mid(r) - PAGE + 16, 0x5a, 2 * PAGE - 16);
	check_views(r, r->map, r->len, "after cpu-write", CHECK_FULL);
	return 0;
}

int sc_device_write(struct run *r)
{
	device_write_seen(r, 0xd5, "device-write",
			  "the CPU does not see the device's write", NULL);
	check_views(r, r->map, r->len, "after device-write", CHECK_FULL);
	return 0;
}

int oc_cpu_write(struct run *r)
{
	struct ocl_expect e = { ocl_mid_page(r), ocl_written_pages(r),
				SALT_CPU, "the CPU's write is not in memory" };
	int ret = ocl_cpu_write(r, e.first, e.n, SALT_CPU);

	if (ret)
		return ret;
	ocl_check(r, "after cpu-write", ocl_pages(r), &e);
	return 0;
}

int oc_device_write(struct run *r)
{
	struct ocl_expect e = { ocl_mid_page(r), ocl_written_pages(r),
				SALT_MIRROR,
				"the CPU does not see the mirror's write" };

	if (ocl_mirror_write(r, e.first, e.n, e.salt))
		e.what = "the mirror's write failed";
	ocl_check(r, "after device-write", ocl_pages(r), &e);
	return 0;
}

int oc_opencl_write(struct run *r)
{
	struct ocl_expect e = { ocl_mid_page(r), ocl_written_pages(r),
				SALT_OPENCL,
				"the CPU does not see the OpenCL kernel's write" };

	ocl_kernel_write(r, e.first, e.n, e.salt);
	ocl_check(r, "after opencl-write", ocl_pages(r), &e);
	return 0;
}

/* munmap's change: the whole mapping goes. */
int ch_munmap(struct run *r)
{
	if (munmap(r->map, r->len))
		return out_error("munmap: %s", strerror(errno));
	r->map = NULL;
	return 0;
}

int sc_munmap(struct run *r)
{
	char *old = r->map;
	int ret = ch_munmap(r);

	if (ret)
		return ret;
	expect_no_leaves(r, old, r->len, "after munmap");
	return remap(r, "mirror of a new mapping");
}

/* The hole partial-munmap cuts at mid(): a page, or a device-dax unit. */
static size_t hole_size(const struct run *r)
{
	return r->t->kind == TARGET_DEVDAX ? r->t->unit : PAGE;
}

int ch_partial_munmap(struct run *r)
{
	size_t u = hole_size(r);

	if (u >= r->len)
		return not_applicable(r, "the mapping is one %s unit: munmap inside it is EINVAL",
				      hmm_dax_level_str(u == SZ_1G ? 2 : 1));
	if (munmap(mid(r), u))
		return out_error("munmap %zu bytes: %s", u, strerror(errno));
	return 0;
}

int sc_partial_munmap(struct run *r)
{
	char *hole = mid(r), *rest = hole + hole_size(r);
	int ret = ch_partial_munmap(r);

	if (ret || r->na)
		return ret;
	expect_no_leaves(r, hole, rest - hole, "after munmap of the hole");
	check_views(r, r->map, hole - r->map, "after munmap, below", 0);
	check_views(r, rest, r->map + r->len - rest, "after munmap, above", 0);
	remirror(r, r->map, hole - r->map, HMM_DAX_MIRROR_WRITE,
		 "re-mirror below the hole");
	remirror(r, rest, r->map + r->len - rest, HMM_DAX_MIRROR_WRITE,
		 "re-mirror above the hole");
	return 0;
}

int sc_mremap(struct run *r)
{
	char *to, *old = r->map;

	to = hmm_dax_mmap_aligned(r->len, r->t->unit, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				  -1, 0);
	if (to == MAP_FAILED)
		return out_error("mmap: %s", strerror(errno));
	if (mremap(old, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED, to) !=
	    to)
		return out_error("mremap: %s", strerror(errno));
	r->map = to;
	expect_no_leaves(r, old, r->len, "after mremap, old range");
	check_views(r, to, r->len, "after mremap, new range", 0);
	remirror(r, to, r->len, HMM_DAX_MIRROR_WRITE, "mirror of the new range");
	return 0;
}

int ch_mprotect(struct run *r)
{
	if (mprotect(r->map, r->len, PROT_READ))
		return out_error("mprotect: %s", strerror(errno));
	return 0;
}

int sc_mprotect(struct run *r)
{
	int ret = ch_mprotect(r);

	if (ret)
		return ret;
	check_views(r, r->map, r->len, "after mprotect(PROT_READ)", 0);
	expect_access_error(r, mid(r), 1,
			    "a device write to read-only memory succeeded",
			    "device write after mprotect");
	remirror(r, r->map, r->len, 0, "read mirror of the read-only range");
	if (mprotect(r->map, r->len, PROT_READ | PROT_WRITE))
		return out_error("mprotect: %s", strerror(errno));
	return 0;
}

int ch_madvise_dontneed(struct run *r)
{
	if (madvise(mid(r), PAGE, MADV_DONTNEED))
		return out_error("madvise: %s", strerror(errno));
	return 0;
}

int sc_madvise_dontneed(struct run *r)
{
	int ret = ch_madvise_dontneed(r);

	if (ret)
		return ret;
	expect_no_leaves(r, mid(r), PAGE, "after MADV_DONTNEED, its page");
	check_views(r, r->map, r->len, "after MADV_DONTNEED", 0);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

int sc_fork_private(struct run *r)
{
	unsigned char buf[2 * PAGE], want[2 * PAGE];
	int status, ret;
	pid_t pid;

	memcpy(want, mid(r) - PAGE, sizeof(want));
	pid = fork();
	if (pid < 0)
		return out_error("fork: %s", strerror(errno));
	if (!pid) {
		memset(mid(r) - PAGE, 0xcc, 2 * PAGE);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return out_error("waitpid: %s", strerror(errno));
	check_views(r, r->map, r->len, "after fork and the child's write", 0);
	begin_step(r, "device read after fork");
	ret = hmm_dax_read(r->ctx, mid(r) - PAGE, buf, sizeof(buf), NULL);
	if (ret)
		add_div(r, "device read failed", "errno",
			(unsigned long)mid(r) - PAGE, -ret, 0);
	else if (memcmp(buf, want, sizeof(buf)))
		add_div(r, "the device sees other bytes than the parent", "bytes",
			(unsigned long)mid(r) - PAGE,
			*(unsigned long long *)buf,
			*(unsigned long long *)want);
	end_step(r, 2, 0);
	device_write_seen(r, 0xd7, "device write after fork",
			  "the parent does not see the device's write", NULL);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

/*
 * The child mirrors and writes through its own context on the run's
 * device, then just exits.
 */
static void exit_child(struct run *r)
{
	unsigned char buf[2 * PAGE];
	struct hmm_dax_ctx *ctx;

	memset(buf, 0xe1, sizeof(buf));
	if (hmm_dax_open(&ctx, r->device) ||
	    hmm_dax_mirror(ctx, r->map, r->len,
			   HMM_DAX_MIRROR_WRITE | r->entry, NULL) ||
	    hmm_dax_write(ctx, mid(r) - PAGE, buf, sizeof(buf), NULL))
		_exit(3);
	_exit(0);	/* mm torn down with the mirror open, then the file */
}

int sc_process_exit(struct run *r)
{
	unsigned char want[2 * PAGE];
	int status;
	pid_t pid;

	if (r->t->kind == TARGET_ANON)
		memcpy(want, mid(r) - PAGE, sizeof(want));
	else
		memset(want, 0xe1, sizeof(want));
	pid = fork();
	if (pid < 0)
		return out_error("fork: %s", strerror(errno));
	if (!pid)
		exit_child(r);
	if (waitpid(pid, &status, 0) != pid)
		return out_error("waitpid: %s", strerror(errno));
	begin_step(r, "child's mirror and device write");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		add_div(r, "the child's mirror or device write failed", "errno",
			(unsigned long)mid(r), status, 0);
	end_step(r, 2, 0);
	expect_bytes(r, mid(r) - PAGE, want, sizeof(want),
		     r->t->kind == TARGET_ANON ?
		     "the child's private write reached the parent" :
		     "the parent does not see the child's device write",
		     "cpu read");
	check_views(r, r->map, r->len, "after the child's exit", 0);
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

struct race {
	struct run *r;
	pid_t tid;
	int done;
	int ret;
};

static void *race_mirror(void *arg)
{
	struct race *rc = arg;

	__atomic_store_n(&rc->tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	rc->ret = hmm_dax_mirror(rc->r->ctx, mid(rc->r),
				 rc->r->t->unit > SZ_2M ? PAGE : SZ_2M,
				 HMM_DAX_MIRROR_WRITE | rc->r->entry, NULL);
	__atomic_store_n(&rc->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int race_dontneed(void *arg)
{
	struct race *rc = arg;

	return madvise(mid(rc->r), PAGE, MADV_DONTNEED);
}

/*
 * Invalidate while a mirror is between hmm_range_fault() and its table
 * lock.  The driver's inject_delay_ms holds the mirror there; the tool sets
 * it for this scenario and restores it.  A hit is counted by the rule of
 * hmm_dax_helpers.h, which the kselftest race_window applies too.
 */
int sc_race(struct run *r)
{
	char old[16] = "0";
	unsigned int round, hit = 0;
	struct race rc;
	pthread_t th;
	ssize_t n;
	int fd, ret;

	fd = open(HMM_DAX_DELAY_PARAM, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return not_applicable(r, "no writable " HMM_DAX_DELAY_PARAM " (%s)",
				      strerror(errno));
	n = read(fd, old, sizeof(old) - 1);
	close(fd);
	old[n > 0 ? n : 1] = 0;
	ret = write_param(HMM_DAX_DELAY_PARAM, HMM_DAX_RACE_WINDOW_MS);
	if (ret)
		return out_error("%s: %s", HMM_DAX_DELAY_PARAM, strerror(-ret));
	for (round = 0; round < RACE_ROUNDS; round++) {
		hmm_dax_reset(r->ctx);
		memset(&rc, 0, sizeof(rc));
		rc.r = r;
		if (pthread_create(&th, NULL, race_mirror, &rc))
			break;
		while (!__atomic_load_n(&rc.tid, __ATOMIC_ACQUIRE))
			;
		hit += hmm_dax_race_once(rc.tid, &rc.done, race_dontneed, &rc);
		pthread_join(th, NULL);
		check_views(r, r->map, r->len, "after a mirror raced an invalidation",
			    0);
	}
	write_param(HMM_DAX_DELAY_PARAM, old);
	if (!hit) {
		char rounds[16];

		snprintf(rounds, sizeof(rounds), "%u", RACE_ROUNDS);
		return not_applicable(r, "the race window was not hit in %s rounds",
				      rounds);
	}
	remirror(r, r->map, r->len, HMM_DAX_MIRROR_WRITE, "re-mirror");
	return 0;
}

/*
 * pmd-fallback: a private mapping of huge leaves written by the CPU and
 * by the device.  The written pages fall back to 4 KiB anonymous copies:
 * the mirror must hold the copies, never the DAX pfn, no leaf larger than
 * the CPU's, and the file keeps its bytes.
 */
int sc_pmd_fallback(struct run *r)
{
	unsigned char orig[3 * PAGE], back[3 * PAGE];
	char *dev = mid(r) - PAGE, *cpu = mid(r) + PAGE;
	unsigned long long pfn;
	unsigned int flags;
	int fd = r->t->fd, i;

	if (fd >= 0 &&
	    pread(fd, orig, sizeof(orig), dev - r->map) != sizeof(orig))
		return out_error("%s: read: %s", r->t->path, strerror(errno));
	memset(cpu + 16, 0xc5, PAGE - 16);
	check_views(r, r->map, r->len, "after a CPU write to the private mapping",
		    0);
	device_write_seen(r, 0xd9, "device write to the private mapping",
			  "the CPU does not see the device's write", NULL);
	remirror(r, r->map, r->len, 0, "re-mirror");
	begin_step(r, "the written pages' leaves");
	for (i = 0; i < 3; i++) {
		flags = leaf_flags_at(r, dev + i * PAGE, &pfn);
		if (!flags || (flags & HMM_DAX_LEAF_DEVICE) ||
		    HMM_DAX_LEAF_TYPE(flags) != HMM_DAX_PGMAP_NONE)
			add_div(r, "a written page is not an anonymous copy",
				"dump", (unsigned long)dev + i * PAGE, pfn, 0);
	}
	end_step(r, 3, 0);
	if (fd < 0)
		return 0;
	begin_step(r, "the file keeps its bytes");
	if (pread(fd, back, sizeof(back), dev - r->map) != sizeof(back) ||
	    memcmp(back, orig, sizeof(orig)))
		add_div(r, "a private write reached the file", "bytes",
			(unsigned long)dev, back[16], orig[16]);
	end_step(r, 3, 0);
	return 0;
}

/* The SIGBUS that MADV_HWPOISON sends the caller: taken, and ignored. */
static void poison_sigbus(int sig)
{
	(void)sig;
}

/*
 * poison: MADV_HWPOISON on the page at mid().  The mirror must drop it, a
 * device read there must fail, and the rest must agree; a file then gets
 * the lost 2 MiB punched out and written again, and mirrors normally.  The
 * poison stays until reboot, so only --scenario poison runs it.
 */
int sc_poison(struct run *r)
{
	struct sigaction sa = { .sa_handler = poison_sigbus }, old;
	size_t lost = r->t->kind == TARGET_DEVDAX ? r->t->unit : SZ_2M;
	size_t base = (mid(r) - r->map) & ~(lost - 1);
	int err;

	if (!r->named)
		return not_applicable(r, "destructive: %s",
				      "the poison stays until reboot, so it runs only when named");
	sigaction(SIGBUS, &sa, &old);
	err = madvise(mid(r), PAGE, MADV_HWPOISON) ? errno : 0;
	sigaction(SIGBUS, &old, NULL);
	if (err)
		return out_error("MADV_HWPOISON: %s%s", strerror(err),
				 err == EPERM ? " (needs CAP_SYS_ADMIN)" :
				 err == EINVAL ? " (no CONFIG_MEMORY_FAILURE?)" :
				 "");
	expect_no_leaves(r, mid(r), PAGE, "after MADV_HWPOISON, its page");
	expect_access_error(r, mid(r), 0,
			    "a device read of the poisoned page succeeded",
			    "device read of the poisoned page");
	if (base)
		remirror(r, r->map, base, 0, "re-mirror below the lost unit");
	if (base + lost < r->len)
		remirror(r, r->map + base + lost, r->len - base - lost, 0,
			 "re-mirror above the lost unit");
	if (!(K_FILES & KIND_BIT(r->t->kind)))
		return 0;
	if (fallocate(r->t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      base, lost) ||
	    fallocate(r->t->fd, FALLOC_FL_KEEP_SIZE, base, lost))
		return out_error("punch out the poison: %s", strerror(errno));
	munmap(r->map, r->len);
	return remap(r, "mirror after punching out the poison");
}

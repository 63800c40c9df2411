// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_dax_poison - memory failure on a mirrored page, on the targets of
 * hmm_dax_target.h (the file ones on the dax=inode mounts)
 *
 * Poison stays until the guest reboots: this program runs last
 * (selftests/suite.mk).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "hmm_dax_target.h"

/* This process has CAP_SYS_ADMIN in effect. */
static bool has_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
	       CAP_TO_MASK(CAP_SYS_ADMIN);
}

/*
 * poison: MADV_HWPOISON on one page inside a mirrored fsdax file (on the
 * dax=inode mounts, in a directory with FS_XFLAG_DAX), a device-dax leaf,
 * and a tmpfs page (the control).  The kernel marks the page (device-dax:
 * its whole folio) poisoned and unmaps it from the CPU; the mirror must
 * drop the leaf, a device read or write there must fail and never move
 * data, and the rest of the range must still agree.  On a file, punching
 * the page out and writing it again gives it a fresh block or page that
 * mirrors normally.
 *
 * Poison stays until the guest reboots: these tests come last in the
 * suite, and the file variants use namespaces of their own.
 */
FIXTURE(poison) {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	int fd, mfd;
	char *map;
	unsigned long size;
};

FIXTURE_VARIANT(poison) {
	HMM_DAX_TARGET_FIELDS;
};

FIXTURE_VARIANT_ADD(poison, ext4) {
	VARIANT_FSDAX("HMM_DAX_EXT4_INODE"),
};

FIXTURE_VARIANT_ADD(poison, xfs) {
	VARIANT_FSDAX("HMM_DAX_XFS_REFLINK"),
};

FIXTURE_VARIANT_ADD(poison, devdax_2m) {
	VARIANT_DEVDAX_2M,
};

FIXTURE_VARIANT_ADD(poison, devdax_1g) {
	VARIANT_DEVDAX_1G,
};

FIXTURE_VARIANT_ADD(poison, tmpfs) {
	VARIANT_TMPFS,
};

/* What the SIGBUS of MADV_HWPOISON said (atomics: set in the handler). */
static int poison_signals, poison_code, poison_lsb;
static void *poison_addr;

static void poison_sigbus(int sig, siginfo_t *si, void *uc)
{
	__atomic_add_fetch(&poison_signals, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&poison_code, si->si_code, __ATOMIC_RELAXED);
	__atomic_store_n(&poison_addr, si->si_addr, __ATOMIC_RELAXED);
	__atomic_store_n(&poison_lsb, si->si_addr_lsb, __ATOMIC_RELAXED);
}

FIXTURE_SETUP(poison)
{
	const char *where = variant->env ? getenv(variant->env) : "/tmp";
	struct sigaction sa = {
		.sa_sigaction = poison_sigbus,
		.sa_flags = SA_SIGINFO,
	};
	int ret;

	HMM_DAX_MARK();
	self->fd = -1;
	self->mfd = -1;
	self->size = variant->size;
	if (!where)
		HMM_DAX_SKIP(return, "%s not set: run under selftests/vm/hmm-dax-vm",
			     variant->env);
	if (!hmm_dax_loaded())
		HMM_DAX_SKIP(return, "hmm_dax.ko is not loaded");
	if (!has_cap_sys_admin())
		HMM_DAX_SKIP(return, "MADV_HWPOISON needs CAP_SYS_ADMIN");
	if (variant->target == TARGET_DEVDAX) {
		self->fd = open(where, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, self->fd) TH_LOG("%s: %s", where,
					      strerror(errno));
	} else {
		ret = make_dir(where, variant->target == TARGET_FSDAX,
			       self->dir, sizeof(self->dir));
		ASSERT_EQ(0, ret) TH_LOG("directory in %s: %s", where,
					 strerror(-ret));
		self->fd = make_file(self->dir, self->size, 0, self->path,
				     sizeof(self->path));
		ASSERT_LE(0, self->fd) TH_LOG("file: %s", strerror(-self->fd));
		ASSERT_EQ(variant->target == TARGET_FSDAX,
			  hmm_dax_fd_is_dax(self->fd));
	}
	self->map = hmm_dax_mmap_aligned(self->size, variant->align,
					 PROT_READ | PROT_WRITE, MAP_SHARED,
					 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	if (variant->target == TARGET_TMPFS)
		madvise(self->map, self->size, MADV_NOHUGEPAGE);
	self->mfd = open("/dev/hmm_dax0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->mfd);
	__atomic_store_n(&poison_signals, 0, __ATOMIC_RELAXED);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
}

FIXTURE_TEARDOWN(poison)
{
	signal(SIGBUS, SIG_DFL);
	if (self->mfd >= 0)
		close(self->mfd);
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, self->size);
	if (self->fd >= 0)
		close(self->fd);
	if (self->path[0])
		unlink(self->path);
	if (self->dir[0])
		rmdir(self->dir);
}

/*
 * What a CPU read of addr does now, in a child (it may take SIGBUS):
 * 0 it read, else the signal that stopped it.
 */
static int cpu_read_status(const char *addr)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		(void)__atomic_load_n(addr, __ATOMIC_RELAXED);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/*
 * The bytes a device read refuses around the poisoned page at off: 4 KiB
 * when only that page fails, leaf when every page of the leaf-sized unit
 * holding it fails (64 of them tried when larger than 2 MiB), 0 (logged)
 * when neither.
 */
static unsigned long poisoned_unit(struct __test_metadata *_metadata, int fd,
				   char *map, unsigned long off,
				   unsigned long leaf)
{
	unsigned long base = off & ~(leaf - 1), step, a;
	unsigned long tried = 0, bad = 0;
	char buf[64];

	step = leaf > SZ_2M ? leaf / 64 : SZ_4K;
	for (a = base; a < base + leaf; a += step) {
		tried++;
		bad += dev_read(fd, map + a, buf, sizeof(buf)) != 0;
	}
	if (dev_read(fd, map + off, buf, sizeof(buf)) == 0) {
		TH_LOG("the poisoned page reads");
		return 0;
	}
	TH_LOG("%lu of %lu pages tried in the %lu KiB leaf fail", bad, tried,
	       leaf >> 10);
	if (bad == tried)
		return leaf;
	if (bad == 1 || (bad == 0 && step > SZ_4K))
		return SZ_4K;
	return 0;
}

/*
 * Mirror the target writable and poison the page at @off: the mirror
 * loses its leaf, and the device neither reads nor writes the page.
 * False when the kernel has no MADV_HWPOISON (the test skips).
 */
static bool poison_page(struct __test_metadata *_metadata,
			struct _test_data_poison *self, unsigned long off,
			char *buf, const char *canary)
{
	char *victim = self->map + off;
	struct ev_log log;
	__u64 before, after;
	int ret;

	ASSERT_EQ(0, mirror(self->mfd, self->map, self->size,
			    HMM_DAX_MIRROR_WRITE, NULL));
	before = leaf_pfn(self->mfd, victim);
	ev_drain(self->mfd);
	ret = madvise(victim, SZ_4K, MADV_HWPOISON) ? errno : 0;
	if (ret == EINVAL)
		HMM_DAX_SKIP(return false,
			     "MADV_HWPOISON: EINVAL (no CONFIG_MEMORY_FAILURE?)");
	ASSERT_EQ(0, ret) TH_LOG("MADV_HWPOISON: %s", strerror(ret));
	TH_LOG("SIGBUS: %d, si_code %d, si_addr %p (victim %p), si_addr_lsb %d",
	       __atomic_load_n(&poison_signals, __ATOMIC_RELAXED),
	       __atomic_load_n(&poison_code, __ATOMIC_RELAXED),
	       __atomic_load_n(&poison_addr, __ATOMIC_RELAXED), victim,
	       __atomic_load_n(&poison_lsb, __ATOMIC_RELAXED));
	ASSERT_EQ(0, events(self->mfd, &log));
	ev_print(_metadata, &log);
	EXPECT_LE(1, ev_count(&log, -1, victim, SZ_4K));
	EXPECT_EQ(0, dump_count(self->mfd, victim, SZ_4K));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	ret = cpu_read_status(victim);
	TH_LOG("a CPU read of the poisoned page now: %s",
	       ret < 0 ? "not tried (fork failed)" :
	       ret ? strsignal(ret) : "reads");

	/* the device never moves data at a poisoned page */
	memcpy(buf, canary, SZ_4K);
	ret = dev_read(self->mfd, victim, buf, SZ_4K);
	TH_LOG("device read of the poisoned page: %s",
	       ret ? strerror(-ret) : "0");
	EXPECT_TRUE(ret == -EHWPOISON || ret == -EFAULT);
	EXPECT_EQ(-1, first_diff(buf, canary, SZ_4K));
	EXPECT_NE(0, dev_write(self->mfd, victim, buf, SZ_4K));
	after = leaf_pfn(self->mfd, victim);
	TH_LOG("victim pfn %#llx before, %#llx re-mirrored",
	       (unsigned long long)before, (unsigned long long)after);
	return true;
}

/*
 * What the device lost around the poisoned page at @off: the page alone,
 * or every page of the CPU leaf holding it (the kernel marks a large
 * folio's head).  The rest of the range agrees.  Returns the lost unit.
 */
static unsigned long poison_lost(struct __test_metadata *_metadata,
				 struct _test_data_poison *self,
				 const struct _fixture_variant_poison *variant,
				 unsigned long off)
{
	unsigned long leaf = variant->target == TARGET_TMPFS ? SZ_4K :
			     variant->align;
	unsigned long unit, lost;

	unit = poisoned_unit(_metadata, self->mfd, self->map, off, leaf);
	TH_LOG("the device lost %lu KiB around the poisoned page",
	       unit >> 10);
	ASSERT_NE(0, unit);
	if (variant->target == TARGET_DEVDAX)
		EXPECT_EQ(variant->align, unit);
	if (variant->target == TARGET_TMPFS)
		EXPECT_EQ(SZ_4K, unit);
	lost = off & ~(unit - 1);

	/* the rest of the range agrees */
	if (lost)
		EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map,
					   lost));
	if (lost + unit < self->size)
		EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd,
					   self->map + lost + unit,
					   self->size - lost - unit));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
	return unit;
}

/*
 * A file: punch out what was lost, write it again, map it afresh
 * (tmpfs leaves a hwpoison entry in the old mapping's page table); the
 * page at @off then mirrors normally.
 */
static void poison_rewrite(struct __test_metadata *_metadata,
			   struct _test_data_poison *self,
			   const struct _fixture_variant_poison *variant,
			   unsigned long off, unsigned long unit, char *buf)
{
	unsigned long lost = off & ~(unit - 1);
	char *victim;
	__u64 after;
	long n;

	ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
			       FALLOC_FL_KEEP_SIZE, lost, unit));
	ASSERT_EQ(0, file_fill(self->fd, lost, unit, 0));
	n = mirror(self->mfd, self->map, self->size, 0, NULL);
	TH_LOG("mirror of the old mapping after punch and rewrite: %s",
	       n ? strerror(-n) : "0");
	ASSERT_EQ(0, munmap(self->map, self->size));
	self->map = hmm_dax_mmap_aligned(self->size, variant->align,
					 PROT_READ | PROT_WRITE, MAP_SHARED,
					 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	victim = self->map + off;
	ASSERT_EQ(0, mirror(self->mfd, self->map, self->size, 0, NULL));
	after = leaf_pfn(self->mfd, victim);
	TH_LOG("after punch and rewrite: pfn %#llx", (unsigned long long)after);
	EXPECT_NE(0, after);
	n = dev_read(self->mfd, victim, buf, SZ_4K);
	EXPECT_EQ(0, n) TH_LOG("device read after the rewrite: %s",
			       strerror(-n));
	EXPECT_TRUE(dev_equals_cpu(_metadata, self->mfd, self->map,
				   self->size));
	EXPECT_TRUE(cpu_has_pattern(_metadata, self->map, 0, self->size, 0));
	EXPECT_TRUE(audit_clean(_metadata, self->mfd, self->map, self->size));
	EXPECT_TRUE(pgmap_refs_balanced(_metadata, self->mfd));
}

/*
 * A poisoned page leaves the mirror, the device never moves data there,
 * and the rest of the range still agrees; a file's page, rewritten,
 * mirrors again.
 */
TEST_F_TIMEOUT(poison, madv_hwpoison, MIRROR_TIMEOUT)
{
	unsigned long off = self->size / 2 + 5 * SZ_4K;
	unsigned long unit;
	char *buf = malloc(SZ_4K);
	char *canary = malloc(SZ_4K);

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, canary);
	memset(canary, 0xa5, SZ_4K);
	if (!poison_page(_metadata, self, off, buf, canary))
		return;
	unit = poison_lost(_metadata, self, variant, off);
	if (variant->target == TARGET_DEVDAX) {
		TH_LOG("device-dax keeps the poison until reboot");
		goto out;
	}
	poison_rewrite(_metadata, self, variant, off, unit, buf);
out:
	free(buf);
	free(canary);
}

TEST_HARNESS_MAIN

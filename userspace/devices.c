// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-dax devices: what this machine has to mirror and to mirror with - the
 * hmm-dax mirror devices, the DAX regions, devices and namespaces
 * (libdaxctl, libndctl), the DRM devices (libdrm) and the OpenCL devices
 * (the ICD loader), each OpenCL device paired with its DRM node when both
 * give a PCI address.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>
#include <xf86drm.h>

#include "opencl.h"

#define MAX_DRM		64

static void print_mirror_devices(void)
{
	unsigned int i;

	out_bool("hmm_dax_loaded", "hmm_dax loaded: %s\n",
		 !access("/sys/module/hmm_dax", F_OK));
	out_open_array("mirror_devices");
	out_text("mirror devices:\n");
	for (i = 0; i < HMM_DAX_NR_DEVICES; i++) {
		char node[32];
		struct stat st;

		snprintf(node, sizeof(node), "/dev/hmm_dax%u", i);
		if (!stat(node, &st))
			out_str(NULL, "  %s\n", node);
	}
	out_close_array();
}

static int print_dax_regions(void)
{
	struct daxctl_region *region;
	struct daxctl_ctx *ctx;
	struct daxctl_dev *dev;
	int ret;

	ret = daxctl_new(&ctx);
	if (ret)
		return out_error("libdaxctl: %s", strerror(-ret));
	daxctl_set_log_priority(ctx, 0);
	out_open_array("dax_regions");
	out_text("dax regions:\n");
	daxctl_region_foreach(ctx, region) {
		out_open_object(NULL);
		out_u64("id", "  region%llu", daxctl_region_get_id(region));
		out_u64("size", " size %llu", daxctl_region_get_size(region));
		out_u64("align", " align %llu\n",
			daxctl_region_get_align(region));
		out_open_array("devices");
		daxctl_dev_foreach(region, dev) {
			if (!daxctl_dev_get_size(dev))
				continue;	/* the seed of a new device */
			out_open_object(NULL);
			out_str("dev", "    /dev/%-10s",
				daxctl_dev_get_devname(dev));
			out_u64("size", " size %llu", daxctl_dev_get_size(dev));
			out_u64("align", " align %llu",
				daxctl_dev_get_align(dev));
			out_bool("enabled", " enabled %s\n",
				 daxctl_dev_is_enabled(dev));
			out_close_object();
		}
		out_close_array();
		out_close_object();
	}
	out_close_array();
	daxctl_unref(ctx);
	return 0;
}

static const char *ns_mode_name(enum ndctl_namespace_mode mode)
{
	switch (mode) {
	case NDCTL_NS_MODE_FSDAX:
		return "fsdax";
	case NDCTL_NS_MODE_DEVDAX:
		return "devdax";
	case NDCTL_NS_MODE_SECTOR:
		return "sector";
	case NDCTL_NS_MODE_RAW:
		return "raw";
	default:
		return "unknown";
	}
}

/* The pmem namespaces: the fsdax ones hold the DAX file systems. */
static int print_namespaces(void)
{
	struct ndctl_namespace *ndns;
	struct ndctl_region *region;
	struct ndctl_bus *bus;
	struct ndctl_ctx *ctx;
	int ret;

	ret = ndctl_new(&ctx);
	if (ret)
		return out_error("libndctl: %s", strerror(-ret));
	ndctl_set_log_priority(ctx, 0);
	out_open_array("namespaces");
	out_text("pmem namespaces:\n");
	ndctl_bus_foreach(ctx, bus)
	ndctl_region_foreach(bus, region)
	ndctl_namespace_foreach(region, ndns) {
		enum ndctl_namespace_mode mode = ndctl_namespace_get_mode(ndns);
		struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
		struct ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
		const char *blk = NULL;
		unsigned long align = 0;
		char node[64];

		if (!ndctl_namespace_get_size(ndns) &&
		    !ndctl_namespace_is_active(ndns))
			continue;	/* the seed of a new namespace */
		if (pfn && ndctl_pfn_is_enabled(pfn)) {
			align = ndctl_pfn_get_align(pfn);
			blk = ndctl_pfn_get_block_device(pfn);
		} else if (dax && ndctl_dax_is_enabled(dax)) {
			align = ndctl_dax_get_align(dax);
		} else {
			blk = ndctl_namespace_get_block_device(ndns);
		}
		out_open_object(NULL);
		out_str("dev", "  %-13s", ndctl_namespace_get_devname(ndns));
		out_str("region", " %-8s", ndctl_region_get_devname(region));
		out_str("mode", " %-7s", ns_mode_name(mode));
		out_u64("size", " size %llu", ndctl_namespace_get_size(ndns));
		out_u64("align", " align %llu", align);
		if (blk && *blk) {
			snprintf(node, sizeof(node), "/dev/%s", blk);
			out_str("blockdev", " %s", node);
		}
		out_text("\n");
		out_close_object();
	}
	out_close_array();
	ndctl_unref(ctx);
	return 0;
}

/* What one DRM device says of itself; the PCI address pairs it. */
struct drm_dev {
	char pci[16];		/* "" when not on PCI */
	char node[64];		/* render node, else primary */
};

static const char *drm_bus_name(int bus)
{
	switch (bus) {
	case DRM_BUS_PCI:
		return "pci";
	case DRM_BUS_USB:
		return "usb";
	case DRM_BUS_PLATFORM:
		return "platform";
	case DRM_BUS_HOST1X:
		return "host1x";
	default:
		return "other";
	}
}

/* The kernel driver's name, from the first node that opens. */
static void drm_driver(drmDevicePtr d, char *buf, size_t len)
{
	static const int order[] = { DRM_NODE_RENDER, DRM_NODE_PRIMARY };
	drmVersionPtr v;
	unsigned int i;
	int fd, err = ENOENT;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (!(d->available_nodes & (1 << order[i])))
			continue;
		fd = open(d->nodes[order[i]], O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			continue;
		}
		v = drmGetVersion(fd);
		close(fd);
		if (v) {
			snprintf(buf, len, "%s", v->name);
			drmFreeVersion(v);
			return;
		}
	}
	snprintf(buf, len, "unknown (%s)", strerror(err));
}

static int print_drm(struct drm_dev *found, unsigned int *nfound)
{
	drmDevicePtr devs[MAX_DRM];
	char driver[64];
	int n, i;

	*nfound = 0;
	out_open_array("drm_devices");
	out_text("drm devices:\n");
	n = drmGetDevices2(0, devs, MAX_DRM);
	if (n == -ENOENT) {
		out_close_array();
		out_str("drm_why", "  none: %s\n", "no /dev/dri");
		return 0;
	}
	if (n < 0) {
		out_close_array();
		out_str("drm_why", "  none: drmGetDevices2: %s\n", strerror(-n));
		return 0;
	}
	for (i = 0; i < n; i++) {
		drmDevicePtr d = devs[i];
		struct drm_dev *f = &found[(*nfound)++];

		memset(f, 0, sizeof(*f));
		if (d->bustype == DRM_BUS_PCI && d->businfo.pci)
			snprintf(f->pci, sizeof(f->pci), "%04x:%02x:%02x.%x",
				 d->businfo.pci->domain, d->businfo.pci->bus,
				 d->businfo.pci->dev, d->businfo.pci->func);
		if (d->available_nodes & (1 << DRM_NODE_RENDER))
			snprintf(f->node, sizeof(f->node), "%s",
				 d->nodes[DRM_NODE_RENDER]);
		else if (d->available_nodes & (1 << DRM_NODE_PRIMARY))
			snprintf(f->node, sizeof(f->node), "%s",
				 d->nodes[DRM_NODE_PRIMARY]);
		drm_driver(d, driver, sizeof(driver));
		out_open_object(NULL);
		out_str("driver", "  %-12s", driver);
		out_str("bus", " %s", drm_bus_name(d->bustype));
		if (f->pci[0])
			out_str("pci", " %s", f->pci);
		if (d->bustype == DRM_BUS_PCI && d->deviceinfo.pci) {
			out_hex("vendor_id", " [%04llx", d->deviceinfo.pci->vendor_id);
			out_hex("device_id", ":%04llx]", d->deviceinfo.pci->device_id);
		}
		out_str("primary", " %s",
			d->available_nodes & (1 << DRM_NODE_PRIMARY) ?
			d->nodes[DRM_NODE_PRIMARY] : "-");
		out_str("render", " %s\n",
			d->available_nodes & (1 << DRM_NODE_RENDER) ?
			d->nodes[DRM_NODE_RENDER] : "-");
		out_close_object();
	}
	drmFreeDevices(devs, n);
	out_close_array();
	if (!n)
		out_text("  none\n");
	return 0;
}

static void print_opencl(const struct drm_dev *drm, unsigned int ndrm)
{
	struct opencl_dev *devs;
	unsigned int n, i, k;
	char why[256], pci[16];
	const char *node;

	out_open_object("opencl");
	out_text("opencl devices (ICD loader):\n");
	if (opencl_devices(&devs, &n, why, sizeof(why))) {
		out_str("why", "  none: %s\n", why);
		out_close_object();
		return;
	}
	out_open_array("devices");
	for (i = 0; i < n; i++) {
		out_open_object(NULL);
		opencl_print_device(&devs[i], i);
		node = NULL;
		if (opencl_pci(&devs[i], pci, sizeof(pci))) {
			out_str("drm_why", "    drm node: %s\n",
				"none (no PCI address: the device does not offer cl_khr_pci_bus_info)");
		} else {
			for (k = 0; k < ndrm && !node; k++)
				if (!strcmp(drm[k].pci, pci))
					node = drm[k].node;
			out_str("pci", "    pci %s", pci);
			if (node)
				out_str("drm_node", ", drm node %s\n", node);
			else
				out_str("drm_why", ", drm node: %s\n",
					"no DRM device at that address");
		}
		out_close_object();
	}
	out_close_array();
	out_close_object();
	free(devs);
}

int cmd_devices(const struct opts *o, int argc, char **argv)
{
	struct drm_dev drm[MAX_DRM];
	unsigned int ndrm;
	int ret;

	(void)o;
	(void)argc;
	(void)argv;
	print_mirror_devices();
	ret = print_dax_regions();
	if (!ret)
		ret = print_namespaces();
	if (!ret)
		ret = print_drm(drm, &ndrm);
	if (!ret)
		print_opencl(drm, ndrm);
	return ret;
}

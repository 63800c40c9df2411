// SPDX-License-Identifier: GPL-2.0
/*
 * devdax-rebind-open DEVDAX - a file of a device-dax node closed after the
 * device is unbound and bound again.
 *
 * DEVDAX is a device-dax node.  Open it, unbind its device from the
 * device_dax driver and bind it again (sysfs), close the old file, open
 * the node again.  Expected: the new open succeeds.  The bug: it fails
 * with ENXIO, and every open does until the device is unbound and bound
 * once more with no file of it left.  Suspected: dev_dax_probe()
 * initialises the same struct cdev again (cdev_init(), cdev_add() on the
 * inode's i_cdev) while the old file holds it, and the old file's release
 * puts its reference of the old cdev on the new one.  The reproducer
 * leaves the device usable: after a failed open it unbinds and binds again.
 */
#include "repro.h"

#define DRIVER	"/sys/bus/dax/drivers/device_dax"

static int sysfs_write(const char *file, const char *val)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Unbind @dev from device_dax and bind it again: 0 or -errno. */
static int rebind(const char *dev)
{
	int ret = sysfs_write(DRIVER "/unbind", dev);

	return ret ? ret : sysfs_write(DRIVER "/bind", dev);
}

int main(int argc, char **argv)
{
	char dev[64];
	int fd, again, err, ret;

	repro_name = "devdax-rebind-open";
	if (argc != 2)
		repro_cannot("usage: %s DEVDAX (a device-dax node)", argv[0]);
	if (repro_devdax_name(argv[1], dev, sizeof(dev)))
		repro_cannot("%s is not a device-dax node", argv[1]);
	if (access(DRIVER "/unbind", W_OK))
		repro_cannot("no writable %s/unbind (needs root)", DRIVER);
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		repro_cannot("%s: %s", argv[1], strerror(errno));
	ret = rebind(dev);
	if (ret)
		repro_cannot("%s: unbind and bind: %s", dev, strerror(-ret));
	close(fd);
	again = open(argv[1], O_RDWR | O_CLOEXEC);
	err = errno;
	if (again >= 0) {
		close(again);
		repro_verdict(false, "%s opens again after the rebind", argv[1]);
	}
	ret = rebind(dev);
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	printf("  after another unbind and bind with no file open: %s\n",
	       ret ? strerror(-ret) : fd >= 0 ? "the node opens" :
	       strerror(errno));
	repro_verdict(true, "opening %s after the rebind failed: %s", argv[1],
		      strerror(err));
}

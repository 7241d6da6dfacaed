/* Named network namespaces (see netns.h). */
#include "gateway/run/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SELF_NS "/proc/thread-self/ns/net"

int bb_netns_self(void)
{
    return open(SELF_NS, O_RDONLY | O_CLOEXEC);
}

/* /run/netns as a shared mount point, as iproute2 makes it: a name bound
 * there then shows in every mount namespace that shares it. */
static int prepare_dir(void)
{
    if (mkdir(BB_NETNS_DIR, 0755) != 0 && errno != EEXIST)
        return errno;
    if (mount("", BB_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
        return 0;
    if (errno != EINVAL) /* EINVAL: not a mount point yet */
        return errno;
    if (mount(BB_NETNS_DIR, BB_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) != 0)
        return errno;
    return mount("", BB_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0 ? 0 : errno;
}

static void ns_path(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", BB_NETNS_DIR, name);
}

/* Leaves the namespace we are in for `home`. Failing to is not something
 * the process can carry on from. */
static int go_home(int home)
{
    return setns(home, CLONE_NEWNET) == 0 ? 0 : ENOTRECOVERABLE;
}

int bb_netns_create(const char *name, int *fd)
{
    char path[128];
    int err = prepare_dir();
    if (err != 0)
        return err;
    ns_path(name, path, sizeof(path));
    int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (f < 0)
        return errno;
    close(f);
    int home = bb_netns_self();
    if (home < 0) {
        err = errno;
        unlink(path);
        return err;
    }
    err = unshare(CLONE_NEWNET) == 0 ? 0 : errno;
    if (err == 0 && mount(SELF_NS, path, "none", MS_BIND, NULL) != 0)
        err = errno;
    if (err == 0 && (*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        err = errno;
    int back = go_home(home);
    close(home);
    if (err != 0 || back != 0) {
        bb_netns_forget(name);
        return back != 0 ? back : err;
    }
    return 0;
}

int bb_netns_forget(const char *name)
{
    char path[128];
    ns_path(name, path, sizeof(path));
    /* Not mounted here (another mount namespace made it): just the file. */
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
        return errno;
    return unlink(path) == 0 || errno == ENOENT ? 0 : errno;
}

int bb_netns_call(int fd, int (*fn)(void *arg), void *arg)
{
    int home = bb_netns_self();
    if (home < 0)
        return errno;
    if (setns(fd, CLONE_NEWNET) != 0) {
        int err = errno;
        close(home);
        return err;
    }
    int rc = fn(arg);
    int back = go_home(home);
    close(home);
    return back != 0 ? back : rc;
}

int bb_sysctl_write(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    size_t len = strlen(value);
    int err = write(fd, value, len) == (ssize_t)len ? 0 : errno;
    close(fd);
    return err;
}

int bb_sysctl_read(const char *path, char *buf, int cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t n = read(fd, buf, (size_t)cap - 1);
    int err = n < 0 ? errno : 0;
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return err;
}

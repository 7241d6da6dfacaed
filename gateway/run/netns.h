/*
 * Network namespaces for `botbox run`: created, named the way iproute2
 * names them (a bind mount under /run/netns, so `ip netns exec NAME` and
 * `ip -n NAME` work while the run lasts), entered and left.
 *
 * Entering changes only the calling thread; every function here that
 * enters a namespace returns to the caller's before it returns, so code
 * around it never runs in the wrong one.
 *
 * Error convention: 0 or an errno value.
 */
#ifndef BB_NETNS_H
#define BB_NETNS_H

#define BB_NETNS_DIR "/run/netns"

/* An O_CLOEXEC descriptor of the calling thread's namespace, or -1. */
int bb_netns_self(void);

/* Creates a namespace named `name` (which must not exist) and returns a
 * descriptor of it in *fd. The caller stays in its own namespace. */
int bb_netns_create(const char *name, int *fd);

/* Removes the name; the namespace itself ends when nothing uses it. A
 * name that is already gone is not an error. */
int bb_netns_forget(const char *name);

/* Runs fn(arg) inside the namespace fd, then returns to the caller's.
 * Returns fn's result, or an errno if the namespace could not be entered
 * (or, worse, left: then the process must not go on, and the result is
 * ENOTRECOVERABLE). */
int bb_netns_call(int fd, int (*fn)(void *arg), void *arg);

/* Writes value into a /proc/sys path of the calling thread's namespace. */
int bb_sysctl_write(const char *path, const char *value);

/* Reads a /proc/sys path of the calling thread's namespace into buf. */
int bb_sysctl_read(const char *path, char *buf, int cap);

#endif

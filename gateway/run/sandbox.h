/*
 * The child side of `botbox run`. The child is pid 1 of a new PID namespace
 * (botbox run unshares it just before the fork) and becomes the sandbox's
 * init:
 *   parent-death SIGKILL, so the sandbox never outlives botbox run (and
 *   when pid 1 dies, the kernel kills every process of its namespace);
 *   signals back to their defaults (the parent blocks and ignores some);
 *   the sandbox network namespace;
 *   a mount namespace of its own (slave: nothing mounted here leaks out),
 *   with its own /proc, resolv.conf naming the gateway, and the secrets
 *   directory and the CA key hidden (empty read-only tmpfs, /dev/null);
 *   then it forks CMD, which takes the target user's groups, gid and uid
 *   and no_new_privs (no setuid binary gets root back) and execs; init
 *   reaps, passes on the signals botbox run passes on, and exits with
 *   CMD's status.
 * A step that fails is reported through err_fd and the child exits; the
 * parent turns it into a message and exit status 126 (127: not found).
 */
#ifndef BB_SANDBOX_H
#define BB_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#define BB_SANDBOX_MAX_HIDDEN 4

struct bb_sandbox {
    int netns;                                     /* the sandbox's namespace */
    const char *resolv_conf;                       /* bound over /etc/resolv.conf */
    const char *hide_dirs[BB_SANDBOX_MAX_HIDDEN];  /* covered by an empty tmpfs */
    const char *hide_files[BB_SANDBOX_MAX_HIDDEN]; /* covered by /dev/null */
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t ngroups;
    char *const *argv;
    char *const *envp;
    int err_fd;  /* O_CLOEXEC pipe: a struct bb_sandbox_err when a step fails */
    int life_fd; /* read end of a pipe only botbox run writes to: EOF = it died */
};

/* The steps, in order (a failure names one). */
enum bb_sandbox_step {
    BB_SB_NETNS,
    BB_SB_MOUNTNS,
    BB_SB_RESOLV,
    BB_SB_HIDE_DIR,
    BB_SB_HIDE_FILE,
    BB_SB_GROUPS,
    BB_SB_GID,
    BB_SB_UID,
    BB_SB_NO_NEW_PRIVS,
    BB_SB_PDEATHSIG,
    BB_SB_PROC,
    BB_SB_FORK,
    BB_SB_SESSION,
    BB_SB_FDS,
    BB_SB_EXEC,
};

struct bb_sandbox_err {
    int step; /* index into bb_sandbox_step_name */
    int err;  /* errno */
};

/* Never returns. Call only in a child that fork() just made. */
void bb_sandbox_exec(const struct bb_sandbox *sb) __attribute__((noreturn));

/* "entering the sandbox namespace", ... for a reported step. */
const char *bb_sandbox_step_name(int step);

#endif

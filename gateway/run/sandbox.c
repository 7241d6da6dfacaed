/* CMD's confinement, in the forked child (see sandbox.h). */
#include "gateway/run/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char *const step_names[] = {
    [BB_SB_NETNS] = "entering the sandbox network namespace",
    [BB_SB_MOUNTNS] = "making a private mount namespace",
    [BB_SB_RESOLV] = "binding resolv.conf",
    [BB_SB_HIDE_DIR] = "hiding the secrets directory",
    [BB_SB_HIDE_FILE] = "hiding the CA key",
    [BB_SB_GROUPS] = "setting groups",
    [BB_SB_GID] = "setting the group id",
    [BB_SB_UID] = "setting the user id",
    [BB_SB_NO_NEW_PRIVS] = "setting no_new_privs",
    [BB_SB_PDEATHSIG] = "setting the parent-death signal",
    [BB_SB_PROC] = "mounting the sandbox's /proc",
    [BB_SB_FORK] = "starting CMD",
    [BB_SB_SESSION] = "starting a session of its own",
    [BB_SB_FDS] = "marking inherited descriptors close-on-exec",
    [BB_SB_EXEC] = "executing",
};

const char *bb_sandbox_step_name(int step)
{
    if (step < 0 || (size_t)step >= sizeof(step_names) / sizeof(step_names[0]))
        return "?";
    return step_names[step];
}

static __attribute__((noreturn)) void fail(const struct bb_sandbox *sb, int step)
{
    struct bb_sandbox_err e = {.step = step, .err = errno};
    ssize_t n = write(sb->err_fd, &e, sizeof(e));
    (void)n;
    _exit(e.err == ENOENT && step == BB_SB_EXEC ? 127 : 126);
}

static void reset_signals(void)
{
    static const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGTSTP};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* A path that does not exist has nothing to hide. */
static int hide(const char *path, const char *src, const char *type, unsigned long flags,
                const char *data)
{
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 0;
    return mount(src, path, type, flags, data);
}

static void mounts(const struct bb_sandbox *sb)
{
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_SLAVE, NULL) != 0)
        fail(sb, BB_SB_MOUNTNS);
    /* The sandbox's own /proc: only its processes exist there, so CMD
     * can neither see nor signal nor ptrace anything outside. */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        fail(sb, BB_SB_PROC);
    if (mount(sb->resolv_conf, "/etc/resolv.conf", "none", MS_BIND, NULL) != 0)
        fail(sb, BB_SB_RESOLV);
    for (size_t i = 0; i < BB_SANDBOX_MAX_HIDDEN && sb->hide_dirs[i] != NULL; i++)
        if (hide(sb->hide_dirs[i], "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 "size=4k,mode=000") != 0)
            fail(sb, BB_SB_HIDE_DIR);
    for (size_t i = 0; i < BB_SANDBOX_MAX_HIDDEN && sb->hide_files[i] != NULL; i++)
        if (hide(sb->hide_files[i], "/dev/null", "none", MS_BIND, NULL) != 0)
            fail(sb, BB_SB_HIDE_FILE);
}

static void become_user(const struct bb_sandbox *sb)
{
    if (setgroups(sb->ngroups, sb->groups) != 0)
        fail(sb, BB_SB_GROUPS);
    if (setresgid(sb->gid, sb->gid, sb->gid) != 0)
        fail(sb, BB_SB_GID);
    if (setresuid(sb->uid, sb->uid, sb->uid) != 0)
        fail(sb, BB_SB_UID);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail(sb, BB_SB_NO_NEW_PRIVS);
}

/* execvpe reports EACCES when any PATH directory was closed to the user,
 * even if CMD exists nowhere: say "not found" (127) unless some PATH entry
 * really holds a file of that name. */
static int exec_errno(const char *cmd, int err)
{
    if (err != EACCES || strchr(cmd, '/') != NULL)
        return err;
    const char *path = getenv("PATH");
    char file[4096];
    for (const char *p = path ? path : ""; *p != '\0';) {
        size_t len = strcspn(p, ":");
        struct stat st;
        snprintf(file, sizeof(file), "%.*s/%s", (int)len, p, cmd);
        if (len > 0 && stat(file, &st) == 0)
            return err;
        p += len + (p[len] == ':');
    }
    return ENOENT;
}

/* CMD itself: the user, then exec, with no descriptor but 0, 1 and 2. One
 * that botbox run's caller left open (a file opened before the secrets
 * were hidden, a socket) would outlive every mount the sandbox made: all
 * of them close at the exec (the error pipe must stay open until it). */
static __attribute__((noreturn)) void exec_cmd(const struct bb_sandbox *sb)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* A session of its own, with no controlling terminal: TIOCSTI and
     * TIOCLINUX work only on the caller's controlling terminal, so CMD can
     * no longer push input to the shell that started botbox run (which
     * would run it after CMD, outside the sandbox). It still reads and
     * writes the terminal; the terminal's signals reach it through
     * botbox run. */
    if (setsid() < 0)
        fail(sb, BB_SB_SESSION);
    become_user(sb);
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
        fail(sb, BB_SB_FDS);
    execvpe(sb->argv[0], sb->argv, sb->envp);
    errno = exec_errno(sb->argv[0], errno);
    fail(sb, BB_SB_EXEC);
}

/* Signals a process sent (botbox run passing one on) go to CMD. The
 * terminal's (^C) reach this process too, being in botbox run's process
 * group, but not CMD (a session of its own): botbox run passes them on,
 * so they are not passed twice. */
static bool sent_by_a_process(const siginfo_t *si)
{
    return si->si_code == SI_USER || si->si_code == SI_QUEUE;
}

/* pid 1 of the sandbox: reaps, passes signals on to CMD, and ends with
 * CMD's status (128 + N for a signal), at which the kernel kills every
 * other process of the namespace. */
static __attribute__((noreturn)) void init_loop(pid_t cmd)
{
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        siginfo_t si;
        if (sigwaitinfo(&all, &si) < 0)
            continue;
        if (si.si_signo != SIGCHLD) {
            if (sent_by_a_process(&si))
                kill(cmd, si.si_signo);
            continue;
        }
        int st;
        pid_t pid;
        while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
            if (pid == cmd)
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
}

void bb_sandbox_exec(const struct bb_sandbox *sb)
{
    /* First: whatever happens next, this process (pid 1 of the sandbox's
     * PID namespace: botbox run unshared it) dies with botbox run, and
     * every process of the namespace with it. botbox run holds the other
     * end of life_fd: a hang-up means it died before the line above. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        fail(sb, BB_SB_PDEATHSIG);
    struct pollfd p = {.fd = sb->life_fd, .events = POLLIN};
    if (poll(&p, 1, 0) != 0)
        _exit(126);
    prctl(PR_SET_NAME, "botbox-init", 0, 0, 0); /* what ps shows as pid 1 */
    reset_signals();
    if (setns(sb->netns, CLONE_NEWNET) != 0)
        fail(sb, BB_SB_NETNS);
    mounts(sb);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    pid_t cmd = fork();
    if (cmd == 0)
        exec_cmd(sb);
    if (cmd < 0)
        fail(sb, BB_SB_FORK);
    close(sb->err_fd); /* CMD's copy says whether exec worked */
    init_loop(cmd);
}

/* `botbox run` (see run.h): set-up, CMD's life, teardown. */
#include "gateway/run/run.h"

#include "common/log.h"
#include "common/diag.h"
#include "gateway/run/netns.h"
#include "gateway/run/run_net.h"
#include "gateway/run/run_user.h"

#include "gateway/cred/placeholder.h"
#include "gateway/run/sandbox.h"
#include "gateway/serve/serve.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run {
    const struct bb_run_opts *o;
    const struct bb_config *cfg;
    struct bb_load_opts load;
    struct bb_run_ranges ranges;
    struct bb_run_net net;
    bool net_up;
    struct bb_run_user user;
    char dir[64], resolv[96], ca[96], wgetrc[96];
    int sfd;     /* signalfd: SIGCHLD and the signals passed on to CMD */
    int life_fd; /* the sandbox's init dies when this closes (see sandbox.c) */
    pid_t serve_pid, cmd_pid;
    int serve_status, cmd_status;
    bool serve_done, cmd_done;
};

static const int handled[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- per-run files ---- */

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return -1;
    int ok = write(fd, data, len) == (ssize_t)len && fchmod(fd, mode) == 0;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* The CA certificate, readable by CMD's user (the original may sit next
 * to the key in a directory only root can enter). */
static int copy_ca(struct run *r)
{
    static char buf[BB_RUN_CA_MAX_BYTES];
    int fd = open(r->cfg->tls.ca_cert_path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0 || (size_t)n == sizeof(buf)) {
        bb_log_warnx("%s: cannot read the CA certificate%s", r->cfg->tls.ca_cert_path,
                     n == (ssize_t)sizeof(buf) ? " (too large)" : "");
        return -1;
    }
    if (write_file(r->ca, buf, (size_t)n, 0644) != 0)
        return -1;
    /* wget's trust (see run_user.h) */
    char rc[sizeof(r->ca) + 32];
    int len = snprintf(rc, sizeof(rc), "# botbox run: trust its CA\nca_certificate = %s\n", r->ca);
    return write_file(r->wgetrc, rc, (size_t)len, 0644);
}

static int make_files(struct run *r)
{
    const struct bb_run_ends *e = &r->net.ends;
    char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN], text[256];
    snprintf(r->dir, sizeof(r->dir), BB_RUN_DIR "/%d", (int)getpid());
    snprintf(r->resolv, sizeof(r->resolv), "%s/resolv.conf", r->dir);
    snprintf(r->ca, sizeof(r->ca), "%s/ca.crt", r->dir);
    snprintf(r->wgetrc, sizeof(r->wgetrc), "%s/wgetrc", r->dir);
    if ((mkdir(BB_RUN_DIR, 0755) != 0 && errno != EEXIST) || mkdir(r->dir, 0755) != 0 ||
        chmod(r->dir, 0755) != 0) {
        bb_log_warn("%s", r->dir);
        return -1;
    }
    /* The gateway's side of the sandbox link: the DNS forwarder answers
     * there (any other resolver address is redirected to it anyway). */
    inet_ntop(AF_INET, &e->gw_cli4, a4, sizeof(a4));
    inet_ntop(AF_INET6, &e->gw_cli6, a6, sizeof(a6));
    int len = snprintf(
        text, sizeof(text), "# botbox run: the gateway's DNS forwarder\nnameserver %s\n%s%s%s", a4,
        r->net.ipv6 ? "nameserver " : "", r->net.ipv6 ? a6 : "", r->net.ipv6 ? "\n" : "");
    if (write_file(r->resolv, text, (size_t)len, 0644) != 0) {
        bb_log_warn("%s", r->resolv);
        return -1;
    }
    return r->cfg->tls.enabled ? copy_ca(r) : 0;
}

static void remove_dir_files(const char *dir)
{
    static const char *const names[] = {"resolv.conf", "ca.crt", "wgetrc"};
    char path[128];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void remove_files(struct run *r)
{
    if (r->dir[0] != '\0')
        remove_dir_files(r->dir);
}

/* Files of runs that were killed (no time to clean up): removed once their
 * process is gone. */
static void gc_files(void)
{
    DIR *d = opendir(BB_RUN_DIR);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char *end, dir[128];
        long pid = strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0' || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(dir, sizeof(dir), BB_RUN_DIR "/%ld", pid);
        remove_dir_files(dir);
    }
    if (d != NULL)
        closedir(d);
}

/* ---- children ---- */

static void reap(struct run *r)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        if (pid == r->cmd_pid) {
            r->cmd_status = st;
            r->cmd_done = true;
        } else if (pid == r->serve_pid) {
            r->serve_status = st;
            r->serve_done = true;
        }
    }
}

/* Waits up to ms for pid (one of ours) to be reaped. */
static bool wait_gone(struct run *r, const bool *done, int ms)
{
    int64_t end = now_ms() + ms;
    for (;;) {
        reap(r);
        if (*done)
            return true;
        int64_t left = end - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = r->sfd, .events = POLLIN};
        if (poll(&p, 1, (int)(left < 50 ? left : 50)) > 0) {
            struct signalfd_siginfo si;
            while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            }
        }
    }
}

struct ready {
    int fd;
    pid_t parent;
};

/* In the gateway, serving. The privilege drop cleared the parent-death
 * signal set at fork: set it again, so the gateway never outlives botbox
 * run (if botbox run is already gone, stop now). */
static void on_ready(void *arg)
{
    const struct ready *rd = arg;
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0 || getppid() != rd->parent)
        kill(getpid(), SIGTERM);
    ssize_t n = write(rd->fd, "R", 1);
    (void)n;
    close(rd->fd);
}

/* In the gateway child: never returns. */
static void serve_child(struct run *r, int ready_fd, pid_t parent)
{
    struct ready rd = {.fd = ready_fd, .parent = parent};
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Its own process group: the terminal's ^C is for CMD; the gateway
     * stops when botbox run says so, or when botbox run is gone. */
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0 || getppid() != parent)
        _exit(1);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0) /* stdout is CMD's */
        _exit(1);
    close(r->sfd);
    /* The outer table belongs to botbox run's socket alone: it must go
     * when botbox run goes, whatever the gateway does. */
    if (r->net.masq != NULL)
        mnl_socket_close(r->net.masq);
    if (setns(r->net.gw_fd, CLONE_NEWNET) != 0) {
        bb_log_warn("entering the gateway namespace");
        _exit(1);
    }
    const struct bb_serve_opts so = {.path = r->o->config,
                                     .load = r->load,
                                     .egress_netns = r->net.outer_fd,
                                     .on_ready = on_ready,
                                     .ready_arg = &rd,
                                     .quiet = true};
    struct bb_diag *diag = bb_diag_new();
    int st = diag != NULL ? bb_serve(&so, r->cfg, diag) : 1;
    if (diag != NULL) {
        bb_diag_print(diag, stderr);
        bb_diag_free(diag);
    }
    _exit(st);
}

/* Forks the gateway; its readiness comes on *ready_fd. */
static int fork_gateway(struct run *r, int *ready_fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t parent = getpid();
    r->serve_pid = fork();
    if (r->serve_pid == 0) {
        close(p[0]);
        serve_child(r, p[1], parent);
    }
    close(p[1]);
    if (r->serve_pid < 0) {
        close(p[0]);
        bb_log_warn("fork");
        return -1;
    }
    *ready_fd = p[0];
    return 0;
}

/* Starts the gateway, finishes the network while it starts (two cores
 * do both at once), then waits until it serves. */
static int start_gateway(struct run *r)
{
    int ready_fd;
    if (fork_gateway(r, &ready_fd) != 0)
        return -1;
    struct bb_diag *diag = bb_diag_new();
    int rc = diag != NULL ? bb_run_net_finish(&r->net, r->cfg, diag) : -1;
    bb_diag_print(diag, stderr);
    bb_diag_free(diag);
    if (rc != 0) {
        close(ready_fd);
        return -1;
    }
    struct pollfd pf = {.fd = ready_fd, .events = POLLIN};
    char c = 0;
    int n = poll(&pf, 1, BB_RUN_READY_TIMEOUT_MS);
    bool ready = n > 0 && read(ready_fd, &c, 1) == 1 && c == 'R';
    close(ready_fd);
    if (!ready)
        bb_log_warnx("the gateway did not start%s", n == 0 ? " in time" : "");
    return ready ? 0 : -1;
}

static int start_cmd(struct run *r)
{
    int p[2], life[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return BB_RUN_EXIT_ERROR;
    if (pipe2(life, O_CLOEXEC) != 0) {
        close(p[0]);
        close(p[1]);
        return BB_RUN_EXIT_ERROR;
    }
    r->life_fd = life[1]; /* open until botbox run exits */
    /* The next child is pid 1 of a new PID namespace: the sandbox's init.
     * Only that one: our later children (none today, but also the ones
     * sanitizers fork at exit) go back to our own namespace. */
    int own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (own_pidns < 0 || unshare(CLONE_NEWPID) != 0) {
        bb_log_warn("a PID namespace for CMD");
        if (own_pidns >= 0)
            close(own_pidns);
        close(p[0]);
        close(p[1]);
        close(life[0]);
        return BB_RUN_EXIT_ERROR;
    }
    struct bb_sandbox sb = {.netns = r->net.sandbox_fd,
                            .resolv_conf = r->resolv,
                            .hide_dirs = {r->cfg->secrets_dir},
                            .hide_files = {r->cfg->tls.ca_key_path, r->cfg->path},
                            .uid = r->user.uid,
                            .gid = r->user.gid,
                            .groups = r->user.groups,
                            .ngroups = r->user.ngroups,
                            .argv = r->o->argv,
                            .envp = r->user.envp,
                            .err_fd = p[1],
                            .life_fd = life[0]};
    r->cmd_pid = fork();
    if (r->cmd_pid == 0) {
        close(life[1]);
        close(own_pidns);
        bb_sandbox_exec(&sb);
    }
    if (setns(own_pidns, CLONE_NEWPID) != 0)
        bb_log_warn("back to botbox run's PID namespace");
    close(own_pidns);
    close(p[1]);
    close(life[0]);
    if (r->cmd_pid < 0) {
        close(p[0]);
        bb_log_warn("fork");
        return BB_RUN_EXIT_ERROR;
    }
    struct bb_sandbox_err e;
    ssize_t n = read(p[0], &e, sizeof(e)); /* EOF: CMD is running */
    close(p[0]);
    if (n != (ssize_t)sizeof(e))
        return 0;
    if (e.step == BB_SB_EXEC)
        bb_log_warnx("%s: %s", r->o->argv[0],
                     e.err == ENOENT ? "command not found" : strerror(e.err));
    else
        bb_log_warnx("%s: %s", bb_sandbox_step_name(e.step), strerror(e.err));
    wait_gone(r, &r->cmd_done, BB_RUN_STOP_GRACE_MS);
    return e.err == ENOENT ? BB_RUN_EXIT_NOT_FOUND : BB_RUN_EXIT_CANNOT;
}

/* ---- while CMD runs ---- */

/* Signals sent to botbox run go on to CMD: a process's (kill, a
 * supervisor) and the terminal's (^C, ^\, a hang-up), which no longer
 * reach CMD itself (a session of its own, sandbox.c). */
static void pass_on(struct run *r, const struct signalfd_siginfo *si)
{
    kill(r->cmd_pid, (int)si->ssi_signo);
}

static void wait_cmd(struct run *r)
{
    while (!r->cmd_done) {
        struct pollfd p = {.fd = r->sfd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        struct signalfd_siginfo si;
        while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            if (si.ssi_signo != SIGCHLD)
                pass_on(r, &si);
        reap(r);
        if (r->serve_done && !r->cmd_done) {
            /* Without its gateway the sandbox has no way out at all; CMD
             * would only hang on its next connection. */
            bb_log_warnx("the gateway stopped (status %d); stopping CMD", r->serve_status);
            kill(r->cmd_pid, SIGTERM);
            if (!wait_gone(r, &r->cmd_done, BB_RUN_STOP_GRACE_MS))
                kill(r->cmd_pid, SIGKILL);
            wait_gone(r, &r->cmd_done, BB_RUN_STOP_GRACE_MS);
        }
    }
}

/* Kills every process still in the sandbox namespace (CMD's daemons and
 * background jobs); true when none is left. */
static bool kill_leftovers(struct run *r)
{
    struct stat ns;
    if (fstat(r->net.sandbox_fd, &ns) != 0)
        return true;
    bool found = false;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[64];
        struct stat st;
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0')
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
        if (stat(path, &st) == 0 && st.st_ino == ns.st_ino && st.st_dev == ns.st_dev) {
            kill((pid_t)pid, SIGKILL);
            found = true;
        }
    }
    if (d != NULL)
        closedir(d);
    return !found;
}

static void stop_gateway(struct run *r)
{
    if (r->serve_pid <= 0 || r->serve_done)
        return;
    kill(r->serve_pid, SIGTERM);
    if (!wait_gone(r, &r->serve_done, BB_RUN_STOP_GRACE_MS)) {
        bb_log_warnx("the gateway did not stop within %d ms; killing it", BB_RUN_STOP_GRACE_MS);
        kill(r->serve_pid, SIGKILL);
        wait_gone(r, &r->serve_done, BB_RUN_STOP_GRACE_MS);
    }
}

static void teardown(struct run *r)
{
    if (r->net_up)
        for (int i = 0; i < 100 && !kill_leftovers(r); i++)
            usleep(10000);
    stop_gateway(r);
    if (r->net_up)
        bb_run_net_down(&r->net);
    remove_files(r);
    bb_run_user_free(&r->user);
}

/* ---- set-up ---- */

static int block_signals(struct run *r)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
        sigaddset(&set, handled[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    r->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return r->sfd >= 0 ? 0 : -1;
}

/* A ^C or a kill during set-up: do not start CMD at all. */
static bool interrupted(struct run *r)
{
    struct signalfd_siginfo si;
    while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        if (si.ssi_signo != SIGCHLD)
            return true;
    return false;
}

static int load(struct run *r)
{
    const char *why;
    const char *net4 = r->o->net4 ? r->o->net4 : BB_RUN_NET4_DEFAULT;
    const char *net6 = r->o->net6 ? r->o->net6 : BB_RUN_NET6_DEFAULT;
    if ((why = bb_run_range4(net4, &r->ranges.v4)) != NULL) {
        bb_log_warnx("--net4 %s: %s", net4, why);
        return -1;
    }
    if ((why = bb_run_range6(net6, &r->ranges.v6)) != NULL) {
        bb_log_warnx("--net6 %s: %s", net6, why);
        return -1;
    }
    r->load = (struct bb_load_opts){.env = bb_config_getenv,
                                    .mode = "gateway",
                                    .client_interface = BB_RUN_GW_CLIENT,
                                    .audit_path = r->o->audit};
    struct bb_diag *diag = bb_diag_new();
    if (diag == NULL)
        return -1;
    r->cfg = bb_config_load_opts(r->o->config, &r->load, diag);
    bb_diag_print(diag, stderr);
    bb_diag_free(diag);
    return r->cfg != NULL ? 0 : -1;
}

/* CMD's environment gets each credential's placeholder under its
 * variable. They are made here, before the gateway is forked, so that
 * both hold the same (gateway/cred/placeholder.h). */
static int placeholders_env(struct run *r)
{
    const struct bb_config *c = r->cfg;
    if (c->credentials.n > 0 && bb_placeholders_sync(c) != 0) {
        bb_log_warnx("placeholders: no random bytes or memory");
        return -1;
    }
    for (size_t i = 0; i < c->credentials.n; i++) {
        const struct bb_credential *cr = &c->credentials.list[i];
        size_t len;
        const char *ph = bb_placeholder_get(c, cr->secret_ref, &len);
        bool aws = cr->kind == BB_CRED_AWS_SIGV4 && cr->secret_env[0] != '\0';
        const char *bad = bb_run_user_env_reserved(cr->env)                 ? cr->env
                          : aws && bb_run_user_env_reserved(cr->secret_env) ? cr->secret_env
                                                                            : NULL;
        if (bad != NULL) {
            bb_log_warnx("%s:%u:%u: credentials[%zu]: %s is set by botbox run itself", c->path,
                         cr->pos.line, cr->pos.col, i, bad);
            return -1;
        }
        if (ph == NULL || bb_run_user_env_set(&r->user, cr->env, ph) != 0)
            return -1;
        char stand_in[BB_STAND_IN_LEN + 1];
        if (aws) {
            bb_placeholder_stand_in(ph, len, stand_in);
            if (bb_run_user_env_set(&r->user, cr->secret_env, stand_in) != 0)
                return -1;
        }
    }
    return 0;
}

static int setup(struct run *r)
{
    char why[256];
    if (geteuid() != 0) {
        bb_log_warnx("needs root (it creates network namespaces); try: sudo botbox run ...");
        return -1;
    }
    if (block_signals(r) != 0 || load(r) != 0)
        return -1;
    if (bb_run_user_resolve(r->o->user, r->cfg->proxy_uid, &r->user, why, sizeof(why)) != 0) {
        bb_log_warnx("%s", why);
        return -1;
    }
    bb_run_net_gc();
    gc_files();
    struct bb_diag *diag = bb_diag_new();
    int rc = diag != NULL ? bb_run_net_up(&r->net, r->cfg, &r->ranges, diag) : -1;
    bb_diag_print(diag, stderr);
    bb_diag_free(diag);
    if (rc != 0)
        return -1;
    r->net_up = true;
    if (make_files(r) != 0 ||
        bb_run_user_env(&r->user, r->cfg->tls.enabled ? r->ca : NULL, r->wgetrc) != 0 ||
        placeholders_env(r) != 0)
        return -1;
    return start_gateway(r);
}

static int exit_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : BB_RUN_EXIT_ERROR;
}

int bb_run(const struct bb_run_opts *o)
{
    struct run r = {.o = o, .sfd = -1, .life_fd = -1};
    int status = BB_RUN_EXIT_ERROR;
    if (setup(&r) == 0) {
        if (interrupted(&r)) {
            bb_log_warnx("interrupted before CMD started");
            status = 130;
        } else if ((status = start_cmd(&r)) == 0) {
            wait_cmd(&r);
            status = r.cmd_done && !r.serve_done ? exit_status(r.cmd_status) : BB_RUN_EXIT_ERROR;
        }
    }
    teardown(&r);
    if (r.cfg != NULL)
        bb_config_free(r.cfg);
    if (r.sfd >= 0)
        close(r.sfd);
    if (r.life_fd >= 0)
        close(r.life_fd);
    return status;
}

/*
 * The daemon's control thread (see serve.h): start-up, the control loop,
 * reloads and shutdown. Workers never block on it: it only posts them new
 * snapshots.
 */
#include "gateway/serve/serve.h"

#include "gateway/cred/creds.h"
#include "gateway/cred/minter.h"
#include "gateway/cred/placeholder.h"

#include "common/log.h"
#include "common/diag.h"
#include "common/macros.h"
#include "gateway/state/audit.h"
#include "gateway/io/loop.h"
#include "gateway/state/metrics.h"
#include "gateway/flows/dnsfwd.h"
#include "gateway/flows/nfq.h"
#include "gateway/serve/privs.h"
#include "gateway/serve/secret_set.h"
#include "gateway/serve/admin.h"
#include "gateway/io/resolver.h"
#include "gateway/state/secrets.h"
#include "gateway/state/snapshot.h"
#include "gateway/state/tenant_conns.h"
#include "gateway/proxy/upstream.h"
#include "gateway/state/shared.h"
#include "gateway/proxy/worker.h"
#include "nft/ruleset.h"
#include "tls/ca.h"
#include "tls/certcache.h"
#include "tls/server.h"

#include <errno.h>
#include <sched.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define INOTIFY_BUF 4096

struct serve {
    const struct bb_serve_opts *o;
    char cfg_dir[PATH_MAX], cfg_name[NAME_MAX + 1];
    struct bb_shared sh;
    struct bb_cfgref *boot_ref; /* keeps sh.boot_cfg alive across reloads */
    struct bb_worker *w;
    unsigned nworkers;
    struct bb_nfq *nfq;
    struct bb_dnsfwd *dns;
    struct bb_loop *loop;
    struct bb_io sig_io, ino_io;
    struct bb_admin *admin;
    bool workers_up;
    bool draining;
    unsigned ndrained; /* workers with no connection left */
    struct bb_timer drain_timer;
    int cfg_wd;
    /* the secrets directories (secret_set.h) and their watches, -1: none */
    const char **sec_dirs;
    int *sec_wds;
    size_t nsec;
    struct bb_timer cfg_debounce, sec_debounce, rescan;
    uint64_t generation;
    int status;
};

/* ---- publishing ---- */

static const char *secret_of(const void *arg, const char *name, size_t *len)
{
    return bb_secrets_get(arg, name, len);
}

/* What a snapshot (or a tenant's part) serves with beyond its config: its
 * credential table (placeholders made first for credentials new to this
 * process) and its rules' metrics labels. */
static int dress(struct serve *s, struct bb_snapshot *snap)
{
    const struct bb_config *c = snap->cfg;
    bool oom = false;
    if (bb_placeholders_sync(c) != 0 ||
        ((snap->creds = bb_creds_new(c, secret_of, snap->secrets, &oom)) == NULL && oom)) {
        bb_log_warnx("placeholders: no random bytes or memory, or more than %u credentials",
                     BB_PLACEHOLDERS_MAX);
        return -1;
    }
    snap->labels = calloc(c->egress.nrules ? c->egress.nrules : 1, sizeof(*snap->labels));
    if (snap->labels == NULL)
        return -1;
    for (size_t i = 0; i < c->egress.nrules; i++)
        snap->labels[i] = bb_metrics_label(s->sh.metrics, c->egress.rules[i].host.name);
    return 0;
}

/* A snapshot of cfgref's config with the secrets of set (taken over,
 * freed on failure too), one part per tenant. */
static struct bb_snapshot *make_snapshot(struct serve *s, struct bb_cfgref *cfgref,
                                         struct bb_secret_set *set)
{
    struct bb_snapshot *snap = bb_snapshot_new(cfgref, set->base, ++s->generation);
    set->base = NULL;
    int rc = snap == NULL ? -1 : 0;
    if (rc == 0 && set->n > 0)
        rc = bb_snapshot_add_tenants(snap, set->tenants, set->n);
    else
        for (size_t i = 0; i < set->n; i++)
            bb_secrets_free(set->tenants[i]);
    free(set->tenants);
    *set = (struct bb_secret_set){0};
    if (rc == 0)
        rc = dress(s, snap);
    for (size_t i = 0; rc == 0 && snap != NULL && i < snap->ntenants; i++) {
        rc = dress(s, &snap->tenants[i]);
        const char *name = snap->tenants[i].cfg->tenant_name;
        snap->tenants[i].tenant_label = bb_metrics_tenant(s->sh.metrics, name);
        snap->tenants[i].conns = bb_tconns_get(s->sh.tconns, name);
    }
    if (rc != 0 && snap != NULL) {
        bb_snapshot_unref(snap);
        return NULL;
    }
    return snap;
}

/* The placeholders_file of the config and of each tenant, rewritten with
 * every snapshot (a reload may add credentials); a failure is logged, the
 * gateway goes on. */
static void publish_placeholders(const struct bb_snapshot *snap)
{
    for (size_t i = 0; i <= snap->ntenants; i++) {
        const struct bb_config *c = i == 0 ? snap->cfg : snap->tenants[i - 1].cfg;
        if (c->placeholders_file[0] != '\0' && bb_placeholders_write(c, c->placeholders_file) != 0)
            bb_log_warn("placeholders_file %s", c->placeholders_file);
    }
}

/* Makes (cfgref, set) the current snapshot everywhere. */
static void publish(struct serve *s, struct bb_cfgref *cfgref, struct bb_secret_set *set)
{
    struct bb_snapshot *snap = make_snapshot(s, cfgref, set);
    if (snap == NULL)
        return; /* XXX: out of memory: the running snapshot stays */
    struct bb_snapshot *old = s->sh.current;
    s->sh.current = snap;
    for (unsigned i = 0; i < s->nworkers; i++)
        bb_worker_install(&s->w[i], bb_snapshot_ref(snap));
    if (s->nfq != NULL)
        bb_nfq_install(s->nfq, bb_snapshot_ref(snap));
    if (s->dns != NULL)
        bb_dnsfwd_install(s->dns, bb_snapshot_ref(snap));
    bb_snapshot_unref(old);
    publish_placeholders(snap);
}

static void print_diag(struct bb_diag *d)
{
    bb_diag_print(d, stderr);
    bb_diag_clear(d);
}

/* ---- reloads ---- */

static void reload_secrets(struct serve *s)
{
    struct bb_diag *d = bb_diag_new();
    struct bb_snapshot *cur = s->sh.current;
    struct bb_secret_set set;
    if (d == NULL || bb_secret_set_load(&set, cur->cfg, d) != 0) {
        bb_diag_free(d);
        return;
    }
    if (!bb_secret_set_dirs_ok(&set) || bb_secret_set_same(&set, cur)) {
        /* Unchanged, or a directory is unreadable: the last good values
         * stay (a vanished directory is not a change to act on). */
        bb_secret_set_free(&set);
        bb_diag_free(d);
        return;
    }
    print_diag(d);
    bb_diag_free(d);
    size_t missing = bb_secret_set_missing(&set);
    publish(s, cur->cfgref, &set);
    bb_audit_event(s->sh.audit, "secrets", missing ? "error" : "allow",
                   missing ? "reloaded; referenced secrets missing" : "reloaded");
}

static void watch_secrets(struct serve *s);
static void unwatch_secrets(struct serve *s);

static bool same_str(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* Settings bound at start: a reload that changes them says so rather than
 * seeming to apply them. */
static void warn_restart_only(const struct bb_config *boot, const struct bb_config *c)
{
    const struct {
        const char *key;
        bool same;
    } keys[] = {
        {"listen_addr", same_str(boot->listen_addr, c->listen_addr)},
        {"listen_port", boot->listen_port == c->listen_port},
        {"metrics_addr", same_str(boot->metrics_addr, c->metrics_addr)},
        {"metrics_port", boot->metrics_port == c->metrics_port},
        {"workers", boot->workers == c->workers},
        {"proxy_uid", boot->proxy_uid == c->proxy_uid},
        {"upstream.ca_file", same_str(boot->upstream.ca_file, c->upstream.ca_file)},
        {"dns.upstream", same_str(boot->dns.upstream, c->dns.upstream)},
        {"audit.output",
         boot->audit.output == c->audit.output && same_str(boot->audit.path, c->audit.path)},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!keys[i].same)
            bb_log_warnx("warning: %s: %s changed; it takes effect after a restart", c->path,
                         keys[i].key);
}

static void reload_config(struct serve *s, const char *why)
{
    struct bb_diag *d = bb_diag_new();
    if (d == NULL)
        return;
    const struct bb_config *c = bb_config_load_opts(s->o->path, &s->o->load, d);
    if (c == NULL) {
        bb_log_warnx("config reload (%s) failed; the running config stays", why);
        bb_metrics_reload(s->sh.metrics, false);
        const char *first = bb_diag_count(d) ? bb_diag_text(d, 0) : "invalid config";
        bb_audit_event(s->sh.audit, "config", "error", first);
        print_diag(d);
        bb_diag_free(d);
        return;
    }
    struct bb_secret_set set;
    int loaded = bb_secret_set_load(&set, c, d);
    struct bb_cfgref *ref = loaded == 0 ? bb_cfgref_new(c) : NULL;
    print_diag(d);
    bb_diag_free(d);
    if (ref == NULL) { /* out of memory: the running config stays */
        if (loaded == 0)
            bb_secret_set_free(&set);
        bb_config_free(c);
        return;
    }
    warn_restart_only(s->sh.boot_cfg, c);
    publish(s, ref, &set);
    bb_cfgref_unref(ref); /* the snapshot holds it now */
    if (!s->draining) {   /* the directories may have changed */
        unwatch_secrets(s);
        watch_secrets(s);
    }
    bb_metrics_reload(s->sh.metrics, true);
    bb_log_info("config reloaded (%s)", why);
    bb_audit_event(s->sh.audit, "config", "allow", "reloaded");
}

/* ---- watches ---- */

/* Watches every secrets directory of the current config not watched yet
 * (one gone is watched again by the rescan timer). */
static void watch_secrets(struct serve *s)
{
    if (s->sec_dirs == NULL) {
        free(s->sec_wds);
        s->sec_dirs = bb_secret_dirs(s->sh.current->cfg, &s->nsec);
        s->sec_wds = s->sec_dirs != NULL ? malloc(s->nsec * sizeof(*s->sec_wds)) : NULL;
        if (s->sec_wds == NULL) {
            free(s->sec_dirs);
            s->sec_dirs = NULL;
            s->nsec = 0;
            return; /* out of memory: the rescan timer still reloads */
        }
        for (size_t i = 0; i < s->nsec; i++)
            s->sec_wds[i] = -1;
    }
    for (size_t i = 0; i < s->nsec; i++)
        if (s->sec_wds[i] < 0)
            s->sec_wds[i] = inotify_add_watch(s->ino_io.fd, s->sec_dirs[i],
                                              IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                                                  IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF |
                                                  IN_MOVE_SELF | IN_ONLYDIR);
}

/* Drops the secrets watches (a reload lists the directories anew). */
static void unwatch_secrets(struct serve *s)
{
    for (size_t i = 0; i < s->nsec; i++)
        if (s->sec_wds[i] >= 0)
            inotify_rm_watch(s->ino_io.fd, s->sec_wds[i]);
    free(s->sec_dirs);
    free(s->sec_wds);
    s->sec_dirs = NULL;
    s->sec_wds = NULL;
    s->nsec = 0;
}

/* The position of a secrets watch, or -1. */
static long sec_watch(const struct serve *s, int wd)
{
    for (size_t i = 0; i < s->nsec; i++)
        if (s->sec_wds[i] == wd)
            return (long)i;
    return -1;
}

static void on_cfg_debounce(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    reload_config(BB_CONTAINER_OF(t, struct serve, cfg_debounce), "config file changed");
}

static void on_sec_debounce(struct bb_loop *l, struct bb_timer *t)
{
    (void)l;
    reload_secrets(BB_CONTAINER_OF(t, struct serve, sec_debounce));
}

static void on_rescan(struct bb_loop *l, struct bb_timer *t)
{
    struct serve *s = BB_CONTAINER_OF(t, struct serve, rescan);
    watch_secrets(s); /* a directory created after start */
    reload_secrets(s);
    bb_loop_timer_set(l, t, BB_SECRETS_RESCAN_MS, on_rescan);
}

static void on_inotify(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    struct serve *s = BB_CONTAINER_OF(io, struct serve, ino_io);
    _Alignas(struct inotify_event) char buf[INOTIFY_BUF];
    ssize_t n = read(io->fd, buf, sizeof(buf));
    for (ssize_t off = 0; off < n;) {
        const struct inotify_event *e = (const struct inotify_event *)(void *)(buf + off);
        off += (ssize_t)(sizeof(*e) + e->len);
        long k = sec_watch(s, e->wd);
        if (k >= 0) {
            if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
                s->sec_wds[k] = -1; /* gone: the rescan timer watches for it */
            bb_loop_timer_set(l, &s->sec_debounce, BB_SECRETS_DEBOUNCE_MS, on_sec_debounce);
        } else if (e->wd == s->cfg_wd && e->len > 0 &&
                   (strcmp(e->name, s->cfg_name) == 0 || strcmp(e->name, "..data") == 0)) {
            /* The file itself, or a Kubernetes ConfigMap's ..data swap. */
            bb_loop_timer_set(l, &s->cfg_debounce, BB_CONFIG_DEBOUNCE_MS, on_cfg_debounce);
        }
    }
}

/* ---- graceful shutdown ---- */

static void drained_on_control(struct bb_loop *l, void *arg)
{
    struct serve *s = arg;
    if (++s->ndrained == s->nworkers)
        bb_loop_stop(l); /* every request finished */
}

/* On a worker's thread: tell the control thread. */
static void worker_drained(void *arg)
{
    struct serve *s = arg;
    bb_loop_post(s->loop, drained_on_control, s);
}

static void on_drain_timeout(struct bb_loop *l, struct bb_timer *t)
{
    struct serve *s = BB_CONTAINER_OF(t, struct serve, drain_timer);
    bb_log_warnx("shutdown_drain over; aborting %u connection(s)", atomic_load(&s->sh.connections));
    bb_loop_stop(l);
}

/* Once the drain has begun no change is picked up by itself (a SIGHUP
 * still reloads): nothing new is served any more. The watches go now: the
 * kernel retires them after an SRCU grace period, which close() on the
 * inotify descriptor would otherwise wait out at the very end (about
 * 15 ms here, most of what botbox run waits for its gateway to stop). */
static void unwatch(struct serve *s)
{
    if (s->cfg_wd >= 0)
        inotify_rm_watch(s->ino_io.fd, s->cfg_wd);
    s->cfg_wd = -1; /* its IN_IGNORED event matches nothing */
    unwatch_secrets(s);
    bb_loop_timer_cancel(s->loop, &s->rescan);
    bb_loop_timer_cancel(s->loop, &s->sec_debounce);
    bb_loop_timer_cancel(s->loop, &s->cfg_debounce);
}

/* SIGTERM/SIGINT: listeners close at once, idle connections too, requests
 * in flight finish; a second signal or timeouts.shutdown_drain stops what
 * is left. */
static void begin_drain(struct serve *s, const char *why)
{
    bb_audit_event(s->sh.audit, "lifecycle", "allow", why);
    if (s->draining) {
        bb_loop_stop(s->loop);
        return;
    }
    s->draining = true; /* readiness goes 503 */
    unwatch(s);
    uint32_t ms = s->sh.current->cfg->timeouts.shutdown_drain_ms;
    if (!s->o->quiet)
        bb_log_info("%s: draining for at most %u ms", why, ms);
    bb_loop_timer_set(s->loop, &s->drain_timer, ms, on_drain_timeout);
    for (unsigned i = 0; i < s->nworkers; i++)
        bb_worker_drain(&s->w[i], worker_drained, s);
}

static void on_signal(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    (void)events;
    struct serve *s = BB_CONTAINER_OF(io, struct serve, sig_io);
    struct signalfd_siginfo si;
    while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            bb_audit_reopen(s->sh.audit); /* logrotate moved the file */
            reload_config(s, "SIGHUP");
            continue;
        }
        begin_drain(s, si.ssi_signo == SIGINT ? "sigint" : "sigterm");
    }
}

/* Ready: every listener is up and every referenced secret is loaded. */
static bool ready(void *arg)
{
    struct serve *s = arg;
    return s->workers_up && !s->draining && bb_secrets_missing(s->sh.current->secrets) == 0;
}

/* The readiness contract with tenants (docs/operations.md): a tenant's
 * missing secret fails only that tenant's requests that need it (500), so
 * the gateway stays ready; /readyz names the tenant and the count. */
static int readiness_detail(void *arg, struct bb_buf *out)
{
    struct serve *s = arg;
    const struct bb_snapshot *cur = s->sh.current;
    int rc = 0;
    for (size_t i = 0; cur != NULL && i < cur->ntenants && rc == 0; i++) {
        size_t missing = bb_secrets_missing(cur->tenants[i].secrets);
        if (missing == 0)
            continue;
        const char *name = cur->tenants[i].cfg->tenant_name;
        rc = bb_buf_append(out, "tenant ", 7) | bb_buf_append(out, name, strlen(name)) |
             bb_buf_append(out, ": ", 2) | bb_buf_append_u64(out, missing) |
             bb_buf_append(out, " referenced secret(s) missing\n", 30);
    }
    return rc ? -1 : 0;
}

static int render_metrics(void *arg, struct bb_buf *out)
{
    struct serve *s = arg;
    return bb_metrics_render(s->sh.metrics, out);
}

static int setup_admin(struct serve *s)
{
    const struct bb_config *c = s->sh.boot_cfg;
    const struct bb_admin_ops ops = {
        .ready = ready, .metrics = render_metrics, .detail = readiness_detail, .arg = s};
    s->admin = bb_admin_new(s->loop, c->metrics_addr, c->metrics_port, &ops);
    if (s->admin == NULL) {
        bool v6 = strchr(c->metrics_addr, ':') != NULL;
        bb_log_warn("metrics listener on %s%s%s:%u", v6 ? "[" : "", c->metrics_addr, v6 ? "]" : "",
                    c->metrics_port);
        return -1;
    }
    return 0;
}

static int setup_control(struct serve *s, const sigset_t *set)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s", s->o->path);
    snprintf(s->cfg_dir, sizeof(s->cfg_dir), "%s", dirname(tmp));
    snprintf(tmp, sizeof(tmp), "%s", s->o->path);
    snprintf(s->cfg_name, sizeof(s->cfg_name), "%s", basename(tmp));
    s->loop = bb_loop_new();
    int sfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (s->loop == NULL || sfd < 0 || ifd < 0 ||
        bb_loop_io_add(s->loop, &s->sig_io, sfd, EPOLLIN, on_signal) != 0 ||
        bb_loop_io_add(s->loop, &s->ino_io, ifd, EPOLLIN, on_inotify) != 0) {
        bb_log_warn("control loop");
        return -1;
    }
    s->cfg_wd = inotify_add_watch(ifd, s->cfg_dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
    watch_secrets(s);
    bb_loop_timer_set(s->loop, &s->rescan, BB_SECRETS_RESCAN_MS, on_rescan);
    if (bb_audit_attach(s->sh.audit, s->loop) != 0) {
        bb_log_warn("audit writer");
        return -1;
    }
    return setup_admin(s);
}

static void teardown_control(struct serve *s)
{
    if (s->loop == NULL)
        return;
    bb_admin_free(s->admin);
    if (s->sig_io.added) {
        bb_loop_io_del(s->loop, &s->sig_io);
        close(s->sig_io.fd);
    }
    if (s->ino_io.added) {
        bb_loop_io_del(s->loop, &s->ino_io);
        close(s->ino_io.fd);
    }
    bb_loop_free(s->loop);
}

/* ---- start and stop ---- */

static unsigned worker_count(const struct bb_config *c)
{
    if (c->workers > 0)
        return c->workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n <= BB_MAX_WORKERS ? (unsigned)n : 1;
}

/* The interception listener's TLS (when 443 is steered): the server
 * context, and the CA and leaf cache when interception is on (a missing
 * or mismatched CA stops the start). */
static int prepare_interception(struct serve *s, const struct bb_config *c, struct bb_diag *diag)
{
    uint16_t ports[2];
    if (bb_ruleset_steered_ports(c, ports) < 2)
        return 0;
    s->sh.server_tls = bb_tls_server_ctx(c->tls.tls12_ciphers);
    if (s->sh.server_tls == NULL)
        return -1;
    if (!c->tls.enabled)
        return 0; /* passthrough only: nothing is decrypted, no CA needed */
    s->sh.ca = bb_ca_load(c->tls.ca_cert_path, c->tls.ca_key_path, diag);
    if (s->sh.ca != NULL)
        s->sh.certs = bb_certcache_new(s->sh.ca, c->tls.cert_cache_size,
                                       c->tls.cert_cache_ttl_seconds, c->tls.cert_ttl_seconds);
    return s->sh.certs != NULL ? 0 : -1;
}

/* Raises the soft descriptor limit to what max_connections needs (a client
 * and an upstream socket each, plus every worker's idle pool), up to the
 * hard limit, and says so when the hard limit is lower: past it, new
 * connections wait in the listen queue (botbox_accept_paused_total). */
static void fit_fd_limit(const struct bb_config *c, unsigned nworkers, struct bb_diag *diag)
{
    rlim_t need =
        2 * (rlim_t)c->max_connections + (rlim_t)nworkers * BB_POOL_MAX_IDLE + BB_FD_RESERVE;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < need)
        bb_diag_add(diag, BB_DIAG_WARNING,
                    "max_connections %u needs about %llu file descriptors, the limit is %llu "
                    "(ulimit -n): past it, new connections wait until others close",
                    c->max_connections, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
}

/* A token fetch's report, as the audit's "token" event (any thread). */
static void token_report(void *arg, const struct bb_mint_report *r)
{
    struct bb_shared *sh = arg;
    struct bb_audit_token e = {
        .decision = r->decision,
        .reason = r->reason,
        .credential = r->credential,
        .tenant = r->tenant,
        .grant = r->grant,
        .trigger = r->trigger,
        .dst = r->dst,
        .status = r->status,
        .endpoint_error = r->endpoint_error,
        .expires_in = r->expires_in,
        .duration_ms = r->duration_ms,
        .refresh_kept = r->rotated ? r->refresh_kept : NULL,
    };
    bb_audit_token(sh->audit, &e);
}

/* Takes over boot: from here on it is freed with its last reference. */
/* The workload needs its placeholders before its first request: a file
 * that cannot be written stops the start. A missing secret is a warning,
 * the base's or a tenant's. */
static void first_placeholders(const struct bb_snapshot *snap, struct bb_diag *diag)
{
    for (size_t i = 0; i <= snap->ntenants; i++) {
        const struct bb_snapshot *p = i == 0 ? snap : &snap->tenants[i - 1];
        const char *phf = p->cfg->placeholders_file, *t = bb_snapshot_tenant(p);
        if (phf[0] != '\0' && bb_placeholders_write(p->cfg, phf) != 0)
            bb_diag_add(diag, BB_DIAG_ERROR, "placeholders_file %s: %s", phf, strerror(errno));
        size_t missing = bb_secrets_missing(p->secrets);
        if (missing > 0)
            bb_diag_add(diag, BB_DIAG_WARNING,
                        "%s%s%s%zu referenced secret(s) missing in %s: requests that need "
                        "them get 500",
                        t ? "tenant " : "", t ? t : "", t ? ": " : "", missing,
                        p->cfg->secrets_dir);
    }
}

static int prepare(struct serve *s, const struct bb_config *boot, struct bb_diag *diag)
{
    s->boot_ref = bb_cfgref_new(boot);
    if (s->boot_ref == NULL) {
        bb_config_free(boot);
        return -1;
    }
    s->sh.boot_cfg = boot;
    s->sh.client_tls = bb_upstream_tls_ctx(boot);
    if (s->sh.client_tls != NULL)
        s->sh.minter = bb_minter_new(s->sh.client_tls, boot->dns.upstream,
                                     boot->mode != BB_MODE_GATEWAY, token_report, &s->sh);
    if (prepare_interception(s, boot, diag) != 0)
        return -1;
    s->sh.audit = bb_audit_open(boot, diag);
    s->nworkers = worker_count(boot);
    fit_fd_limit(boot, s->nworkers, diag);
    /* A shard per worker, then the verdict thread's and the forwarder's. */
    s->sh.metrics = bb_metrics_new(s->nworkers + 2);
    s->sh.tconns = bb_tconns_new();
    struct bb_secret_set set;
    if (s->sh.metrics != NULL && s->sh.tconns != NULL && bb_secret_set_load(&set, boot, diag) == 0)
        s->sh.current = make_snapshot(s, s->boot_ref, &set);
    if (bb_resolver_global_init() != 0)
        bb_diag_add(diag, BB_DIAG_ERROR, "resolver: initialisation failed");
    if (s->sh.current != NULL)
        first_placeholders(s->sh.current, diag);
    return s->sh.current && s->sh.client_tls && s->sh.minter && s->sh.audit &&
                   bb_diag_errors(diag) == 0
               ? 0
               : -1;
}

/* Creates the workers and binds their listeners, and binds the NFQUEUE
 * (as the starting user: both may need privileges dropped later). */
static int init_workers(struct serve *s)
{
    s->w = calloc(s->nworkers, sizeof(*s->w));
    if (s->w == NULL)
        return -1;
    for (unsigned i = 0; i < s->nworkers; i++)
        if (bb_worker_init(&s->w[i], i, &s->sh) != 0)
            return -1;
    s->nfq = bb_nfq_open(BB_NFT_QUEUE_NUM, &s->sh, bb_metrics_shard(s->sh.metrics, s->nworkers));
    s->dns = bb_dnsfwd_open(&s->sh, bb_metrics_shard(s->sh.metrics, s->nworkers + 1));
    return s->nfq != NULL && s->dns != NULL ? 0 : -1;
}

/* After the privilege drop: threads inherit the trimmed credentials. */
static int start_workers(struct serve *s)
{
    for (unsigned i = 0; i < s->nworkers; i++)
        if (bb_worker_start(&s->w[i]) != 0)
            return -1;
    if (bb_nfq_start(s->nfq) != 0 || bb_dnsfwd_start(s->dns) != 0)
        return -1;
    s->workers_up = true;
    return 0;
}

static void stop_all(struct serve *s)
{
    for (unsigned i = 0; s->w != NULL && i < s->nworkers; i++)
        bb_worker_stop(&s->w[i]);
    free(s->w);
    bb_dnsfwd_free(s->dns);
    bb_nfq_free(s->nfq);          /* last: verdicts until the end, then the kernel drops */
    bb_minter_free(s->sh.minter); /* its fetches end within BB_MINT_TIMEOUT_MS; they audit */
    bb_audit_free(s->sh.audit);   /* writes what the workers left; needs the loop */
    teardown_control(s);
    free(s->sec_dirs);
    free(s->sec_wds);
    bb_snapshot_unref(s->sh.current);
    SSL_CTX_free(s->sh.client_tls);
    SSL_CTX_free(s->sh.server_tls);
    bb_certcache_free(s->sh.certs);
    bb_ca_free(s->sh.ca);
    bb_metrics_free(s->sh.metrics);
    bb_tconns_free(s->sh.tconns); /* after the last connection was given back */
    bb_cfgref_unref(s->boot_ref); /* the boot config outlives every worker */
}

/* botbox run: the listeners are bound in the gateway's namespace; what
 * leaves for upstreams leaves from the egress one. Threads created after
 * this inherit it. */
static int enter_egress(const struct bb_serve_opts *o)
{
    if (o->egress_netns < 0)
        return 0;
    if (setns(o->egress_netns, CLONE_NEWNET) != 0) {
        bb_log_warn("entering the egress namespace");
        return -1;
    }
    return 0;
}

int bb_serve(const struct bb_serve_opts *o, const struct bb_config *boot, struct bb_diag *diag)
{
    struct serve s = {.o = o, .status = 1};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* Blocked before any thread exists, so only the signalfd sees them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* OpenSSL writes to sockets without MSG_NOSIGNAL: a peer that went away
     * must cost an EPIPE, not the process. */
    signal(SIGPIPE, SIG_IGN);
    /* Everything that needs privileges is open before the drop; the
     * worker threads start after it. */
    int ok = prepare(&s, boot, diag) == 0 && init_workers(&s) == 0 &&
             setup_control(&s, &set) == 0 && enter_egress(o) == 0 &&
             bb_privs_drop(boot->proxy_uid) == 0 && start_workers(&s) == 0;
    print_diag(diag);
    if (ok) {
        if (!o->quiet)
            bb_log_info("version %s serving on port %u with %u worker(s)", BB_VERSION,
                        boot->listen_port, s.nworkers);
        if (o->on_ready != NULL)
            o->on_ready(o->ready_arg);
        bb_audit_event(s.sh.audit, "lifecycle", "allow", "started");
        s.status = bb_loop_run(s.loop) == 0 ? 0 : 1;
    }
    stop_all(&s);
    return s.status;
}

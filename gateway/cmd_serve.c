/*
 * `botbox serve --config FILE` (also `botbox --config FILE`): the gateway
 * daemon. Loads and validates the config exactly as `check` does, loads the
 * referenced secrets, starts the workers, and runs until SIGTERM or SIGINT.
 *
 * XXX: graceful drain, SIGHUP reload, secrets hot reload, metrics and the
 * privilege drop arrive with the operations issue; for now a signal stops
 * every connection at once and the process exits 0.
 */
#include "gateway/cli.h"

#include "common/diag.h"
#include "gateway/audit.h"
#include "gateway/resolver.h"
#include "gateway/secrets.h"
#include "gateway/upstream.h"
#include "gateway/worker.h"
#include "policy/config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char bb_cmd_serve_help[] =
    "usage: botbox serve --config FILE\n"
    "       botbox --config FILE\n"
    "\n"
    "Runs the gateway: the HTTP proxy listener on 127.0.0.1 and ::1 (with\n"
    "IP_TRANSPARENT, for steered connections) and on listen_addr, all on\n"
    "listen_port. Audit lines go to audit.output. Stops on SIGTERM or SIGINT.\n"
    "\n"
    "exit status: 0 after a signal, 1 when it cannot start, 2 usage error\n";

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

static unsigned worker_count(const struct bb_config *c)
{
    if (c->workers > 0)
        return c->workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n <= BB_MAX_WORKERS ? (unsigned)n : 1;
}

static int prepare(struct bb_shared *sh, const struct bb_config *c, struct bb_diag *diag)
{
    sh->cfg = c;
    sh->secrets = bb_secrets_load(c, diag);
    sh->client_tls = bb_upstream_tls_ctx(c);
    sh->audit = bb_audit_open(c, diag);
    if (bb_resolver_global_init() != 0)
        bb_diag_add(diag, BB_DIAG_ERROR, "resolver: initialisation failed");
    if (sh->secrets != NULL && bb_secrets_missing(sh->secrets) > 0)
        bb_diag_add(diag, BB_DIAG_WARNING,
                    "%zu referenced secret(s) missing in %s: requests that need them get 500",
                    bb_secrets_missing(sh->secrets), c->secrets_dir);
    return sh->secrets && sh->client_tls && sh->audit && bb_diag_errors(diag) == 0 ? 0 : -1;
}

static void release(struct bb_shared *sh)
{
    bb_audit_free(sh->audit);
    SSL_CTX_free(sh->client_tls);
    bb_secrets_free((struct bb_secrets *)sh->secrets);
}

/* Blocks until SIGTERM or SIGINT (all threads inherit the blocked mask). */
static int wait_signal(const sigset_t *set)
{
    int sig = 0;
    while (sigwait(set, &sig) != 0) {
    }
    return sig;
}

static int run(const struct bb_config *c, struct bb_diag *diag)
{
    struct bb_shared sh = {0};
    unsigned n = worker_count(c);
    struct bb_worker *w = calloc(n, sizeof(*w));
    int status = BB_EXIT_FAIL;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* OpenSSL writes to sockets without MSG_NOSIGNAL: a peer that went away
     * must cost an EPIPE, not the process. */
    signal(SIGPIPE, SIG_IGN);
    if (w == NULL || prepare(&sh, c, diag) != 0)
        goto out;
    unsigned i;
    for (i = 0; i < n; i++)
        if (bb_worker_init(&w[i], i, &sh) != 0 || bb_worker_start(&w[i]) != 0)
            break;
    bb_diag_print(diag, stderr);
    bb_diag_clear(diag);
    if (i == n) {
        fprintf(stderr, "botbox %s: serving on port %u with %u worker(s)\n", BB_VERSION,
                c->listen_port, n);
        bb_audit_event(sh.audit, "lifecycle", "allow", "started");
        int sig = wait_signal(&set);
        bb_audit_event(sh.audit, "lifecycle", "allow", sig == SIGINT ? "sigint" : "sigterm");
        status = BB_EXIT_OK;
    }
    for (unsigned j = 0; j < n && j <= i; j++)
        bb_worker_stop(&w[j]);
out:
    release(&sh);
    free(w);
    return status;
}

int bb_cmd_serve(int argc, char **argv)
{
    const char *path;
    int usage = bb_cli_config_only(argc, argv, "serve", &path);
    if (usage != 0)
        return usage;
    struct bb_diag *diag = bb_diag_new();
    const struct bb_config *c = bb_config_load(path, env_lookup, diag);
    int status = BB_EXIT_FAIL;
    if (c != NULL)
        status = run(c, diag);
    bb_diag_print(diag, stderr);
    bb_config_free(c);
    bb_diag_free(diag);
    return status;
}

/*
 * `botbox check --config FILE`: load and validate a config exactly as
 * `serve` would (environment overrides included), print every warning and
 * error on stderr, and on success the normalised policy on stdout. Touches
 * nothing else: no sockets, no netlink.
 */
#include "gateway/cmd.h"

#include "gateway/cli.h"
#include "common/diag.h"
#include "policy/config.h"
#include "tls/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char bb_cmd_check_help[] =
    "usage: botbox check --config FILE\n"
    "\n"
    "Validates FILE and prints the normalised configuration: listeners, limits,\n"
    "one line per rule and per flow, after defaults and BOTBOX_* environment\n"
    "overrides are applied. Changes nothing on the system.\n"
    "\n"
    "Every problem is reported, one per line, as FILE:LINE:COL: key.path: reason.\n"
    "\n"
    "exit status: 0 valid, 1 invalid, 2 usage error\n";

/* What only OpenSSL can judge: the TLS 1.2 cipher list (serve would stop
 * at start on it; check says so first). */
static bool tls_ok(const struct bb_config *c)
{
    SSL_CTX *ctx = bb_tls_server_ctx(c->tls.tls12_ciphers);
    SSL_CTX_free(ctx);
    return ctx != NULL;
}

int bb_cmd_check(int argc, char **argv)
{
    const char *path;
    int usage = bb_cli_config_only(argc, argv, "check", &path);
    if (usage != 0)
        return usage;
    struct bb_diag *diag = bb_cli_diag("check");
    if (diag == NULL)
        return BB_EXIT_FAIL;
    const struct bb_config *cfg = bb_config_load(path, bb_config_getenv, diag);
    bb_diag_print(diag, stderr);
    int status = BB_EXIT_FAIL;
    if (cfg != NULL && !tls_ok(cfg)) {
        fprintf(stderr, "%s: invalid (1 error)\n", path);
    } else if (cfg != NULL) {
        printf("%s: valid\n", path);
        bb_config_print(cfg, stdout);
        status = BB_EXIT_OK;
    } else {
        fprintf(stderr, "%s: invalid (%zu error%s)\n", path, bb_diag_errors(diag),
                bb_diag_errors(diag) == 1 ? "" : "s");
    }
    bb_config_free(cfg);
    bb_diag_free(diag);
    return status;
}

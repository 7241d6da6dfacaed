/*
 * `botbox serve --config FILE` (also `botbox --config FILE`): the gateway
 * daemon. Loads and validates the config exactly as `check` does, then
 * hands over to serve.c for the daemon's life cycle.
 */
#include "gateway/cmd.h"

#include "gateway/cli.h"
#include "common/diag.h"
#include "gateway/serve/serve.h"
#include "policy/config.h"

#include <stdio.h>
#include <stdlib.h>

const char bb_cmd_serve_help[] =
    "usage: botbox serve --config FILE\n"
    "       botbox --config FILE\n"
    "\n"
    "Runs the gateway: the HTTP proxy listener on 127.0.0.1 and ::1 (with\n"
    "IP_TRANSPARENT, for steered connections) and on listen_addr, all on\n"
    "listen_port; metrics and health on metrics_addr:metrics_port. Audit\n"
    "lines go to audit.output.\n"
    "\n"
    "signals: SIGHUP reloads config and secrets (also done on file changes);\n"
    "         SIGTERM/SIGINT stop accepting, drain requests in flight for up\n"
    "         to timeouts.shutdown_drain, then exit\n"
    "\n"
    "exit status: 0 after a signal, 1 when it cannot start, 2 usage error\n";

int bb_cmd_serve(int argc, char **argv)
{
    const char *path;
    int usage = bb_cli_config_only(argc, argv, "serve", &path);
    if (usage != 0)
        return usage;
    struct bb_diag *diag = bb_cli_diag("serve");
    if (diag == NULL)
        return BB_EXIT_FAIL;
    const struct bb_config *c = bb_config_load(path, bb_config_getenv, diag);
    int status = BB_EXIT_FAIL;
    if (c != NULL) {
        const struct bb_serve_opts o = {
            .path = path, .load = {.env = bb_config_getenv}, .egress_netns = -1};
        status = bb_serve(&o, c, diag) == 0 ? BB_EXIT_OK : BB_EXIT_FAIL;
    }
    bb_diag_print(diag, stderr);
    bb_diag_free(diag);
    return status;
}

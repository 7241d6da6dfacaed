/*
 * `botbox ca init --dir DIR`: a local CA for HTTPS interception.
 */
#include "gateway/cmd.h"

#include "gateway/cli.h"
#include "common/diag.h"
#include "tls/ca.h"

#include <stdio.h>
#include <string.h>

const char bb_cmd_ca_help[] =
    "usage: botbox ca init --dir DIR\n"
    "\n"
    "Creates DIR (mode 0700 when new) holding a new ECDSA P-256 CA: ca.crt\n"
    "(mode 0644) and ca.key (mode 0600), valid 10 years. Point\n"
    "https_interception.ca_cert_path / ca_key_path at them, and give ca.crt to\n"
    "the workload as its trust anchor (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS...).\n"
    "An existing CA in DIR is never overwritten.\n"
    "\n"
    "exit status: 0 created, 1 error, 2 usage error\n";

int bb_cmd_ca(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "init") != 0)
        return bb_cli_usage(
            "ca", argc < 2 ? "a subcommand is required (init)" : "unknown subcommand '%s'",
            argc < 2 ? "" : argv[1]);
    const char *dir = NULL;
    for (int i = 2; i < argc; i++) {
        int rc = bb_cli_option(argc, argv, &i, "--dir", &dir);
        if (rc < 0)
            return bb_cli_usage("ca", "--dir needs a directory");
        if (rc == 0)
            return bb_cli_usage("ca", "unexpected argument '%s'", argv[i]);
    }
    if (dir == NULL)
        return bb_cli_usage("ca", "--dir DIR is required");
    struct bb_diag *diag = bb_cli_diag("ca");
    if (diag == NULL)
        return BB_EXIT_FAIL;
    int rc = bb_ca_init(dir, diag);
    bb_diag_print(diag, stderr);
    bb_diag_free(diag);
    if (rc == 0)
        printf("created %s/ca.crt and %s/ca.key\n", dir, dir);
    return rc == 0 ? BB_EXIT_OK : BB_EXIT_FAIL;
}

/*
 * `botbox run --config FILE [options] -- CMD ARGS...`: the command line;
 * run.c does the work.
 */
#include "gateway/cmd.h"

#include "gateway/cli.h"
#include "common/log.h"
#include "gateway/run/run.h"
#include "gateway/run/run_plan.h"

#include <stdio.h>
#include <string.h>

const char bb_cmd_run_help[] =
    "usage: botbox run --config FILE [--user USER] [--audit FILE]\n"
    "                  [--net4 CIDR] [--net6 CIDR] -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD in a new network namespace whose only way out is a botbox\n"
    "gateway with the config's policy (in gateway mode, whatever the file\n"
    "says). CMD runs as USER (default: the user who ran sudo, else nobody;\n"
    "never root), cannot read secrets_dir or the CA key, and, when HTTPS\n"
    "interception is on, finds the CA in SSL_CERT_FILE, CURL_CA_BUNDLE,\n"
    "REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, GIT_SSL_CAINFO, CARGO_HTTP_CAINFO\n"
    "and DENO_CERT. stdin, stdout, stderr and the terminal are CMD's.\n"
    "Everything botbox creates is removed when CMD exits.\n"
    "\n"
    "  --user USER   name or uid CMD runs as\n"
    "  --audit FILE  audit lines go to FILE (default: the config's audit\n"
    "                output; stdout is CMD's, so that becomes stderr)\n"
    "  --net4 CIDR   private range for the run's links (default " BB_RUN_NET4_DEFAULT ")\n"
    "  --net6 CIDR   unique local range for them (default " BB_RUN_NET6_DEFAULT ")\n"
    "\n"
    "Needs root. exit status: CMD's (128+N if signal N ended it); 125 botbox\n"
    "could not set up, or the gateway stopped; 126 CMD could not be run; 127\n"
    "CMD not found; 2 usage error\n";

int bb_cmd_run(int argc, char **argv)
{
    struct bb_run_opts o = {0};
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (argv[i][0] != '-')
            break; /* CMD starts here */
        int rc = bb_cli_option(argc, argv, &i, "--config", &o.config);
        if (rc == 0)
            rc = bb_cli_option(argc, argv, &i, "--user", &o.user);
        if (rc == 0)
            rc = bb_cli_option(argc, argv, &i, "--audit", &o.audit);
        if (rc == 0)
            rc = bb_cli_option(argc, argv, &i, "--net4", &o.net4);
        if (rc == 0)
            rc = bb_cli_option(argc, argv, &i, "--net6", &o.net6);
        if (rc < 0)
            return bb_cli_usage("run", "%s needs a value", argv[i]);
        if (rc == 0)
            return bb_cli_usage("run", "unknown option '%s'", argv[i]);
    }
    if (o.config == NULL)
        return bb_cli_usage("run", "--config FILE is required");
    if (i >= argc)
        return bb_cli_usage("run", "no command given (botbox run --config FILE -- CMD ...)");
    o.argv = argv + i;
    fflush(stdout);
    bb_log_prefix("botbox run");
    return bb_run(&o);
}

/*
 * `botbox nft apply|show|flush`: botbox's steering in the current network
 * namespace, through netlink only (no nft, ip or iptables processes).
 * Replaces the BotBox iptables init script; reads the same BOTBOX_*
 * environment variables (through the config loader).
 */
#include "gateway/cmd.h"

#include "gateway/cli.h"
#include "common/diag.h"
#include "nft/nft.h"
#include "policy/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char bb_cmd_nft_help[] =
    "usage: botbox nft apply --config FILE [--mode sidecar|gateway]\n"
    "       botbox nft show\n"
    "       botbox nft flush\n"
    "\n"
    "apply  installs table inet botbox and botbox's policy routing in the current\n"
    "       network namespace, replacing a previous botbox table atomically. The\n"
    "       environment variables BOTBOX_UID, BOTBOX_PROXY_PORT,\n"
    "       BOTBOX_ENABLE_HTTPS_INTERCEPTION, BOTBOX_HTTPS_INTERCEPTION_PORT and\n"
    "       BOTBOX_ENABLE_IPV6 override the config; --mode overrides both.\n"
    "show   prints the installed table (in nft's netlink notation) and routing.\n"
    "flush  removes the table and the routing. Nothing else is touched.\n"
    "\n"
    "Needs CAP_NET_ADMIN. exit status: 0 ok, 1 error, 2 usage error\n";

static int finish(struct bb_diag *diag, int rc)
{
    bb_diag_print(diag, stderr);
    bb_diag_free(diag);
    return rc == 0 ? BB_EXIT_OK : BB_EXIT_FAIL;
}

static void print_report(const struct bb_config *cfg, const struct bb_nft_report *r)
{
    printf("applied table inet %s: %s mode, %zu chains, %zu rules, %zu set elements, "
           "queue %u via %s%s; policy routing ipv4%s\n",
           BB_NFT_TABLE, cfg->mode == BB_MODE_GATEWAY ? "gateway" : "sidecar", r->chains, r->rules,
           r->elements, BB_NFT_QUEUE_NUM,
           r->queue == BB_NFT_QUEUE_NATIVE ? "the nft queue expression"
                                           : "the xtables NFQUEUE target",
           r->attempts > 1 ? " (kernel has no native queue expression)" : "",
           cfg->enable_ipv6 ? " and ipv6" : "");
}

/* With br_netfilter's bridge-nf-call-iptables (or ip6tables) on, netfilter
 * runs prerouting for what a bridge receives inside the bridge, before the
 * IP layer; the IP layer then drops the socket TPROXY assigned there, so a
 * steered connection through a bridge client interface hangs (tried with
 * scenario 84's clients on a bridge in the gateway's namespace: the SYNs
 * were tproxied, no connection reached the proxy; with the sysctl at 0 all
 * passed). Refused, with the way out, rather than applied broken. */
static void refuse_bridged(const struct bb_config *cfg, struct bb_diag *diag)
{
    static const char *const knobs[] = {"bridge-nf-call-iptables", "bridge-nf-call-ip6tables"};
    if (cfg->mode != BB_MODE_GATEWAY)
        return;
    for (size_t k = 0; k < sizeof(knobs) / sizeof(knobs[0]); k++) {
        char path[128], v = '0';
        snprintf(path, sizeof(path), "/proc/sys/net/bridge/%s", knobs[k]);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* no br_netfilter here */
        if (fread(&v, 1, 1, f) != 1)
            v = '0';
        fclose(f);
        for (size_t i = 0; v == '1' && i < cfg->gateway.nclient_interfaces; i++) {
            const char *name = cfg->gateway.client_interfaces[i];
            snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
            if (strchr(name, '*') == NULL && access(path, F_OK) == 0) /* a pattern: no one name */
                bb_diag_add(diag, BB_DIAG_ERROR,
                            "gateway.client_interfaces[%zu]: %s is a bridge and "
                            "net.bridge.%s is 1 in this namespace: br_netfilter runs "
                            "prerouting inside the bridge, where TPROXY's socket does not "
                            "survive, so steered connections would hang; set "
                            "net.bridge.%s=0 here, or use the pods' own interfaces "
                            "(docs/deployment.md)",
                            i, name, knobs[k], knobs[k]);
        }
        if (v == '1')
            return; /* one knob's errors are enough */
    }
}

static int cmd_apply(int argc, char **argv)
{
    struct bb_load_opts opts = {.env = bb_config_getenv};
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        int rc = bb_cli_option(argc, argv, &i, "--config", &path);
        if (rc == 0)
            rc = bb_cli_option(argc, argv, &i, "--mode", &opts.mode);
        if (rc < 0)
            return bb_cli_usage("nft", "%s needs a value", argv[i]);
        if (rc == 0)
            return bb_cli_usage("nft", "unknown option '%s'", argv[i]);
    }
    if (path == NULL)
        return bb_cli_usage("nft", "apply needs --config FILE");
    if (opts.mode != NULL && strcmp(opts.mode, "sidecar") != 0 && strcmp(opts.mode, "gateway") != 0)
        return bb_cli_usage("nft", "--mode must be sidecar or gateway");
    struct bb_diag *diag = bb_cli_diag("nft");
    if (diag == NULL)
        return BB_EXIT_FAIL;
    const struct bb_config *cfg = bb_config_load_opts(path, &opts, diag);
    int rc = -1;
    if (cfg != NULL)
        refuse_bridged(cfg, diag);
    if (cfg != NULL && bb_diag_errors(diag) == 0) {
        struct bb_nft_report report;
        rc = bb_nft_apply(cfg, &report, diag);
        if (rc == 0)
            print_report(cfg, &report);
    }
    bb_config_free(cfg);
    return finish(diag, rc);
}

int bb_cmd_nft(int argc, char **argv)
{
    if (argc < 2)
        return bb_cli_usage("nft", "expected apply, show or flush");
    const char *sub = argv[1];
    if (strcmp(sub, "apply") == 0)
        return cmd_apply(argc - 1, argv + 1);
    if (strcmp(sub, "show") != 0 && strcmp(sub, "flush") != 0)
        return bb_cli_usage("nft", "unknown subcommand '%s'", sub);
    if (argc > 2)
        return bb_cli_usage("nft", "%s takes no arguments", sub);
    struct bb_diag *diag = bb_cli_diag("nft");
    if (diag == NULL)
        return BB_EXIT_FAIL;
    int rc = strcmp(sub, "show") == 0 ? bb_nft_show(stdout, diag) : bb_nft_flush(diag);
    return finish(diag, rc);
}

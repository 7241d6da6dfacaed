/*
 * libFuzzer target: the whole config loader (YAML tree, decoding,
 * environment-free validation, policy compile) on arbitrary bytes. A loaded
 * config must also answer a policy question and print without crashing;
 * with tenants, each tenant's sources must find that tenant, and the
 * ruleset (the tenants' anti-spoofing sets included) must build.
 */
#include "common/diag.h"
#include "nft/ruleset.h"
#include "policy/config.h"
#include "policy/policy.h"
#include "policy/tenant_match.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tenants(const struct bb_config *c)
{
    for (size_t t = 0; t < c->tenants.n; t++) {
        const struct bb_tenant_match *m = &c->tenants.list[t]->match;
        for (size_t k = 0; k < m->nsources; k++)
            if (bb_tmatch_find(c->tmatch, 0, m->sources[k].family, m->sources[k].addr) != (long)t)
                __builtin_trap(); /* a tenant's own source names another, or none */
    }
    if (c->mode == BB_MODE_GATEWAY) {
        struct bb_ruleset *rs = bb_ruleset_build(c, BB_NFT_QUEUE_COMPAT);
        if (rs == NULL)
            __builtin_trap(); /* only out of memory may refuse */
        bb_ruleset_free(rs);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bb_diag *d = bb_diag_new();
    const struct bb_config *c = bb_config_parse("fuzz.yaml", (const char *)data, size, NULL, d);
    if (c != NULL) {
        struct bb_decision dec;
        bb_policy_check_http(c->policy, "a.example.com:443", 17, "GET", 3, "/v1/x", 5, &dec);
        tenants(c);
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull != NULL) {
            bb_config_print(c, devnull);
            fclose(devnull);
        }
        if (bb_diag_errors(d) != 0)
            __builtin_trap(); /* a config with errors must never load */
    } else if (bb_diag_errors(d) == 0) {
        __builtin_trap(); /* a refusal must always say why */
    }
    bb_config_free(c);
    bb_diag_free(d);
    return 0;
}

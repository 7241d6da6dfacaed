/*
 * libFuzzer target: the whole config loader (YAML tree, decoding,
 * environment-free validation, policy compile) on arbitrary bytes. A loaded
 * config must also answer a policy question and print without crashing.
 */
#include "common/diag.h"
#include "policy/config.h"
#include "policy/policy.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bb_diag *d = bb_diag_new();
    const struct bb_config *c = bb_config_parse("fuzz.yaml", (const char *)data, size, NULL, d);
    if (c != NULL) {
        struct bb_decision dec;
        bb_policy_check_http(c->policy, "a.example.com:443", 17, "GET", 3, "/v1/x", 5, &dec);
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

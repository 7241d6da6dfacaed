/*
 * Ruleset builder: golden tests. Each case builds the ruleset for a config
 * (plus environment) and compares its rendering with a committed file in
 * tests/golden/nft/. After an intended change, regenerate them with
 *   build/tests/unit/nft/test_build --regen
 * and review the diff. Also checks the structure the steering depends on.
 */
#include "tests/unit/testutil.h"

#include "nft/nft_int.h"

#include <errno.h>
#include <linux/netfilter/nf_tables.h>

struct golden {
    const char *name;   /* tests/golden/nft/NAME.txt */
    const char *config; /* a YAML file */
    const char *env[5]; /* NULL-terminated */
    enum bb_nft_queue queue;
};

static const struct golden cases[] = {
    {"sidecar-default", "examples/botbox.yaml", {NULL}, BB_NFT_QUEUE_COMPAT},
    {"sidecar-native-queue", "examples/botbox.yaml", {NULL}, BB_NFT_QUEUE_NATIVE},
    {"sidecar-ipv4-only", "examples/botbox.yaml", {"BOTBOX_ENABLE_IPV6=0"}, BB_NFT_QUEUE_COMPAT},
    {"sidecar-tls", "tests/golden/nft/sidecar-tls.yaml", {NULL}, BB_NFT_QUEUE_COMPAT},
    {"sidecar-env",
     "examples/botbox.yaml",
     {"BOTBOX_UID=2000", "BOTBOX_PROXY_PORT=18080", "BOTBOX_ENABLE_HTTPS_INTERCEPTION=1",
      "BOTBOX_HTTPS_INTERCEPTION_PORT=18443"},
     BB_NFT_QUEUE_COMPAT},
    {"gateway", "examples/gateway.yaml", {NULL}, BB_NFT_QUEUE_COMPAT},
    {"gateway-plain", "tests/golden/nft/gateway-plain.yaml", {NULL}, BB_NFT_QUEUE_COMPAT},
    {"gateway-tenants", "tests/golden/nft/gateway-tenants.yaml", {NULL}, BB_NFT_QUEUE_COMPAT},
};

static int regen;

static const struct bb_config *load(const struct golden *g)
{
    struct bb_diag *d = bb_diag_new();
    tu_env_vars = g->env;
    const struct bb_config *c = bb_config_load(g->config, tu_getenv, d);
    if (c == NULL)
        tu_dump(d);
    assert_non_null(c);
    bb_diag_free(d);
    return c;
}

static char *render(const struct bb_ruleset *rs)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    bb_ruleset_render(rs, f);
    fclose(f);
    return text;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(text);
        return strdup("");
    }
    return text;
}

static void test_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct golden *g = &cases[i];
        const struct bb_config *c = load(g);
        struct bb_ruleset *rs = bb_ruleset_build(c, g->queue);
        assert_non_null(rs);
        char *got = render(rs);
        char path[256];
        snprintf(path, sizeof(path), "tests/golden/nft/%s.txt", g->name);
        if (regen) {
            FILE *f = fopen(path, "w");
            assert_non_null(f);
            fputs(got, f);
            fclose(f);
            fprintf(stderr, "regenerated %s\n", path);
        }
        char *want = slurp(path);
        if (want == NULL || strcmp(got, want) != 0)
            fprintf(stderr,
                    "%s differs from the built ruleset; review, then run "
                    "build/tests/unit/nft/test_build --regen\n--- built:\n%s",
                    path, got);
        assert_non_null(want);
        assert_string_equal(got, want);
        free(want);
        free(got);
        bb_ruleset_free(rs);
        bb_config_free(c);
    }
}

static size_t count(const struct bb_ruleset *rs, enum bb_nft_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++)
        n += rs->objs[i].kind == kind;
    return n;
}

static void test_structure(void **state)
{
    (void)state;
    const struct bb_config *c = load(&cases[5]); /* gateway */
    struct bb_ruleset *rs = bb_ruleset_build(c, BB_NFT_QUEUE_COMPAT);
    assert_int_equal(count(rs, BB_NFT_OBJ_TABLE), 1);
    assert_int_equal(rs->objs[0].kind, BB_NFT_OBJ_TABLE); /* first in the batch */
    /* Sets come before the rules that look them up. */
    size_t first_rule = rs->n, last_set = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (rs->objs[i].kind == BB_NFT_OBJ_RULE && first_rule == rs->n)
            first_rule = i;
        if (rs->objs[i].kind == BB_NFT_OBJ_SET || rs->objs[i].kind == BB_NFT_OBJ_ELEM)
            last_set = i;
    }
    assert_true(last_set < first_rule);
    /* One element object per interface, attributed to its config line. */
    size_t ifaces = 0, queues = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const struct bb_nft_obj *o = &rs->objs[i];
        if (o->kind == BB_NFT_OBJ_ELEM && strstr(o->what, "client_ifaces") != NULL) {
            assert_string_equal(o->path, ifaces == 0 ? "gateway.client_interfaces[0]"
                                                     : "gateway.client_interfaces[1]");
            assert_int_equal(o->pos.line, c->gateway.client_interface_pos[ifaces].line);
            ifaces++;
        }
        queues += o->uses_queue;
    }
    assert_int_equal(ifaces, 2);
    assert_int_equal(queues, 4); /* input and forward guards: the invalid and the rest */
    bb_ruleset_free(rs);
    bb_config_free(c);
}

static void test_no_bypass_anywhere(void **state)
{
    (void)state;
    /* Whatever the mode, the queue never carries a bypass flag. */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bb_config *c = load(&cases[i]);
        struct bb_ruleset *rs = bb_ruleset_build(c, cases[i].queue);
        char *text = render(rs);
        assert_null(strstr(text, "bypass"));
        assert_non_null(
            strstr(text, cases[i].queue == BB_NFT_QUEUE_NATIVE ? "[ queue " : "[ target "));
        free(text);
        bb_ruleset_free(rs);
        bb_config_free(c);
    }
}

static void test_steered_ports(void **state)
{
    (void)state;
    uint16_t p[2];
    const struct bb_config *c = load(&cases[0]);
    assert_int_equal(bb_ruleset_steered_ports(c, p), 1);
    assert_int_equal(p[0], 80);
    bb_config_free(c);
    c = load(&cases[3]);
    assert_int_equal(bb_ruleset_steered_ports(c, p), 2);
    assert_int_equal(p[1], 443);
    bb_config_free(c);
}

static void test_fallback_decision(void **state)
{
    (void)state;
    const struct bb_config *c = load(&cases[5]); /* gateway: two queue rules */
    struct bb_ruleset *native = bb_ruleset_build(c, BB_NFT_QUEUE_NATIVE);
    struct bb_ruleset *compat = bb_ruleset_build(c, BB_NFT_QUEUE_COMPAT);
    int32_t q[2] = {-1, -1}, set = -1, rule = -1;
    for (size_t i = 0, nq = 0; i < native->n; i++) {
        if (native->objs[i].uses_queue && nq < 2)
            q[nq++] = (int32_t)i;
        else if (native->objs[i].kind == BB_NFT_OBJ_SET && set < 0)
            set = (int32_t)i;
        else if (native->objs[i].kind == BB_NFT_OBJ_RULE && rule < 0)
            rule = (int32_t)i;
    }
    assert_true(q[0] >= 0 && q[1] >= 0 && set >= 0 && rule >= 0);
    struct bb_nft_refusal both[] = {{q[0], ENOENT}, {q[1], ENOENT}};
    assert_true(bb_nft_only_queue_refused(native, both, 2));
    assert_true(bb_nft_only_queue_refused(native, both, 1));
    /* Any other refusal is a real error, not a missing expression. */
    struct bb_nft_refusal other[] = {{q[0], ENOENT}, {set, ENOENT}};
    assert_false(bb_nft_only_queue_refused(native, other, 2));
    struct bb_nft_refusal not_enoent[] = {{q[0], EINVAL}};
    assert_false(bb_nft_only_queue_refused(native, not_enoent, 1));
    struct bb_nft_refusal plain_rule[] = {{rule, ENOENT}};
    assert_false(bb_nft_only_queue_refused(native, plain_rule, 1));
    struct bb_nft_refusal batch[] = {{-3, ENOENT}};
    assert_false(bb_nft_only_queue_refused(native, batch, 1));
    assert_false(bb_nft_only_queue_refused(native, NULL, 0));
    /* Already the compat form: nothing left to fall back to. */
    assert_false(bb_nft_only_queue_refused(compat, both, 2));
    bb_ruleset_free(native);
    bb_ruleset_free(compat);
    bb_config_free(c);
}

int main(int argc, char **argv)
{
    regen = argc > 1 && strcmp(argv[1], "--regen") == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_no_bypass_anywhere),
        cmocka_unit_test(test_steered_ports),
        cmocka_unit_test(test_fallback_decision),
    };
    return cmocka_run_group_tests_name("nft/build", tests, NULL, NULL);
}

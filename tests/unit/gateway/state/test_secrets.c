/*
 * Secrets loading rules of docs/reference.md §3, on a real temporary directory:
 * trailing newline stripping, the Kubernetes ..data layout, links that
 * escape, non-regular and oversized files, absent secrets.
 */
#include "tests/unit/testutil.h"

#include "gateway/state/secrets.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void put(const char *name, const char *content, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(content, 1, len, f);
    fclose(f);
}

static const struct bb_config *config(const char *refs[], size_t n)
{
    char yaml[4096];
    size_t o = (size_t)snprintf(yaml, sizeof(yaml),
                                "secrets_dir: %s\negress_policy:\n  rules:\n"
                                "    - host: a.test\n      action: allow\n"
                                "      header_rewrites:\n",
                                dir);
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(yaml + o, sizeof(yaml) - o,
                              "        - name: X-K%zu\n          value: \"{value}\"\n"
                              "          secret_ref: %s\n",
                              i, refs[i]);
    return tu_expect_ok(yaml);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bb-secrets-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void test_values_and_newlines(void **state)
{
    (void)state;
    put("lf", "sk-lf\n", 6);
    put("crlf", "sk-crlf\r\n", 9);
    put("none", "sk-none", 7);
    put("two", "sk-two\n\n", 8);
    put("empty", "", 0);
    const char *refs[] = {"lf", "crlf", "none", "two", "empty", "absent"};
    const struct bb_config *c = config(refs, 6);
    struct bb_diag *d = bb_diag_new();
    struct bb_secrets *s = bb_secrets_load(c, d);
    size_t len;
    assert_string_equal(bb_secrets_get(s, "lf", &len), "sk-lf");
    assert_string_equal(bb_secrets_get(s, "crlf", &len), "sk-crlf");
    assert_string_equal(bb_secrets_get(s, "none", &len), "sk-none");
    /* Only one newline is stripped; the one left is not a header value. */
    assert_null(bb_secrets_get(s, "two", &len));
    assert_non_null(bb_secrets_get(s, "empty", &len));
    assert_int_equal(len, 0);
    assert_null(bb_secrets_get(s, "absent", &len));
    assert_null(bb_secrets_get(s, "unreferenced", &len));
    assert_int_equal(bb_secrets_missing(s), 2);
    bb_secrets_free(s);
    bb_diag_free(d);
    bb_config_free(c);
}

static void test_kubernetes_layout_and_escapes(void **state)
{
    (void)state;
    char p[256], q[256];
    snprintf(p, sizeof(p), "%s/..2026_11_29_06_00_00.1", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    put("..2026_11_29_06_00_00.1/token", "sk-k8s\n", 7);
    snprintf(p, sizeof(p), "%s/..data", dir);
    assert_int_equal(symlink("..2026_11_29_06_00_00.1", p), 0);
    snprintf(p, sizeof(p), "%s/token", dir);
    assert_int_equal(symlink("..data/token", p), 0);
    /* a link out of the directory, and a directory where a file should be */
    FILE *f = fopen("/tmp/bb-outside-secret", "w");
    fputs("stolen", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/escape", dir);
    assert_int_equal(symlink("/tmp/bb-outside-secret", p), 0);
    snprintf(q, sizeof(q), "%s/adir", dir);
    assert_int_equal(mkdir(q, 0700), 0);
    const char *refs[] = {"token", "escape", "adir"};
    const struct bb_config *c = config(refs, 3);
    struct bb_diag *d = bb_diag_new();
    struct bb_secrets *s = bb_secrets_load(c, d);
    size_t len;
    assert_string_equal(bb_secrets_get(s, "token", &len), "sk-k8s");
    assert_null(bb_secrets_get(s, "escape", &len));
    assert_null(bb_secrets_get(s, "adir", &len));
    assert_true(tu_has(d, BB_DIAG_WARNING, "secret escape: resolves outside"));
    assert_true(tu_has(d, BB_DIAG_WARNING, "secret adir: not a regular file"));
    for (size_t i = 0; i < bb_diag_count(d); i++)
        assert_null(strstr(bb_diag_text(d, i), "stolen"));
    unlink("/tmp/bb-outside-secret");
    bb_secrets_free(s);
    bb_diag_free(d);
    bb_config_free(c);
}

static void test_oversized(void **state)
{
    (void)state;
    size_t big = BB_SECRET_MAX_BYTES + 1;
    char *buf = malloc(big);
    memset(buf, 'x', big);
    put("big", buf, big);
    put("max", buf, BB_SECRET_MAX_BYTES);
    free(buf);
    const char *refs[] = {"big", "max"};
    const struct bb_config *c = config(refs, 2);
    struct bb_diag *d = bb_diag_new();
    struct bb_secrets *s = bb_secrets_load(c, d);
    size_t len;
    assert_null(bb_secrets_get(s, "big", &len));
    assert_non_null(bb_secrets_get(s, "max", &len));
    assert_int_equal(len, BB_SECRET_MAX_BYTES);
    assert_true(tu_has(d, BB_DIAG_WARNING, "secret big: larger than 1048576 bytes"));
    bb_secrets_free(s);
    bb_diag_free(d);
    bb_config_free(c);
}

static void test_header_injection_refused(void **state)
{
    (void)state;
    static const char inject[] = "sk-1\r\nX-Evil: yes\n", nul[] = "sk\0x";
    put("inject", inject, sizeof(inject) - 1);
    put("nul", nul, sizeof(nul) - 1);
    const char *refs[] = {"inject", "nul"};
    const struct bb_config *c = config(refs, 2);
    struct bb_diag *d = bb_diag_new();
    struct bb_secrets *s = bb_secrets_load(c, d);
    size_t len;
    assert_null(bb_secrets_get(s, "inject", &len));
    assert_null(bb_secrets_get(s, "nul", &len));
    assert_int_equal(bb_secrets_missing(s), 2);
    assert_true(tu_has(d, BB_DIAG_WARNING, "secret inject: contains bytes not allowed"));
    for (size_t i = 0; i < bb_diag_count(d); i++)
        assert_null(strstr(bb_diag_text(d, i), "sk-1"));
    bb_secrets_free(s);
    bb_diag_free(d);
    bb_config_free(c);
}

static void test_missing_dir(void **state)
{
    (void)state;
    const char *refs[] = {"k"};
    char saved[64];
    memcpy(saved, dir, sizeof(dir));
    snprintf(dir, sizeof(dir), "/tmp/bb-no-such-dir");
    const struct bb_config *c = config(refs, 1);
    memcpy(dir, saved, sizeof(dir));
    struct bb_diag *d = bb_diag_new();
    struct bb_secrets *s = bb_secrets_load(c, d);
    assert_int_equal(bb_secrets_missing(s), 1);
    assert_false(bb_secrets_dir_ok(s)); /* a reload keeps the last good values */
    assert_true(tu_has(d, BB_DIAG_WARNING, "secrets_dir /tmp/bb-no-such-dir"));
    bb_secrets_free(s);
    bb_diag_free(d);
    bb_config_free(c);
}

/* What the reloader compares before publishing a new snapshot. */
static void test_equal(void **state)
{
    (void)state;
    put("a", "one\n", 4);
    const char *refs[] = {"a", "b"};
    const struct bb_config *c = config(refs, 2);
    struct bb_diag *d = bb_diag_new();
    struct bb_secrets *s1 = bb_secrets_load(c, d), *s2 = bb_secrets_load(c, d);
    assert_true(bb_secrets_dir_ok(s1));
    assert_true(bb_secrets_equal(s1, s2));
    put("a", "two\n", 4); /* same length, other value */
    struct bb_secrets *s3 = bb_secrets_load(c, d);
    assert_false(bb_secrets_equal(s1, s3));
    put("b", "x", 1); /* one that was absent appears */
    struct bb_secrets *s4 = bb_secrets_load(c, d);
    assert_false(bb_secrets_equal(s3, s4));
    assert_int_equal(bb_secrets_missing(s4), 0);
    bb_secrets_free(s1);
    bb_secrets_free(s2);
    bb_secrets_free(s3);
    bb_secrets_free(s4);
    bb_diag_free(d);
    bb_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values_and_newlines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kubernetes_layout_and_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_injection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_equal, setup, teardown),
    };
    return cmocka_run_group_tests_name("gateway/secrets", tests, NULL, NULL);
}

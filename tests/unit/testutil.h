/*
 * Helpers shared by the cmocka unit tests: load a config from an inline
 * YAML string and assert on its diagnostics.
 */
#ifndef BB_TESTUTIL_H
#define BB_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/diag.h"
#include "policy/config.h"

#include <stdio.h>
#include <string.h>

/* Fake environment for BOTBOX_* overrides: "NAME=VALUE" strings. */
static const char *const *tu_env_vars;

static inline const char *tu_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *v = tu_env_vars; v != NULL && *v != NULL; v++)
        if (strncmp(*v, name, n) == 0 && (*v)[n] == '=')
            return *v + n + 1;
    return NULL;
}

static inline const struct bb_config *tu_load_env(const char *yaml, struct bb_diag *d,
                                                  const char *const *env)
{
    tu_env_vars = env;
    return bb_config_parse("t.yaml", yaml, strlen(yaml), tu_getenv, d);
}

static inline void tu_dump(const struct bb_diag *d)
{
    for (size_t i = 0; i < bb_diag_count(d); i++)
        fprintf(stderr, "  diag[%zu]: %s\n", i, bb_diag_text(d, i));
}

static inline int tu_has(const struct bb_diag *d, enum bb_diag_level lvl, const char *want)
{
    for (size_t i = 0; i < bb_diag_count(d); i++)
        if (bb_diag_level_of(d, i) == lvl && strstr(bb_diag_text(d, i), want) != NULL)
            return 1;
    return 0;
}

/* The config must be rejected with an error containing `want`. */
static inline void tu_expect_error_env(const char *yaml, const char *want, const char *const *env)
{
    struct bb_diag *d = bb_diag_new();
    const struct bb_config *c = tu_load_env(yaml, d, env);
    if (c != NULL || !tu_has(d, BB_DIAG_ERROR, want)) {
        fprintf(stderr, "expected error containing: %s\n", want);
        tu_dump(d);
    }
    assert_null(c);
    assert_true(tu_has(d, BB_DIAG_ERROR, want));
    bb_diag_free(d);
}

static inline void tu_expect_error(const char *yaml, const char *want)
{
    tu_expect_error_env(yaml, want, NULL);
}

/* The config must load; returns it (free with bb_config_free). */
static inline const struct bb_config *tu_expect_ok_env(const char *yaml, const char *const *env)
{
    struct bb_diag *d = bb_diag_new();
    const struct bb_config *c = tu_load_env(yaml, d, env);
    if (c == NULL)
        tu_dump(d);
    assert_non_null(c);
    bb_diag_free(d);
    return c;
}

static inline const struct bb_config *tu_expect_ok(const char *yaml)
{
    return tu_expect_ok_env(yaml, NULL);
}

/* The config must load with a warning containing `want`. */
static inline void tu_expect_warning(const char *yaml, const char *want)
{
    struct bb_diag *d = bb_diag_new();
    const struct bb_config *c = tu_load_env(yaml, d, NULL);
    if (c == NULL || !tu_has(d, BB_DIAG_WARNING, want))
        tu_dump(d);
    assert_non_null(c);
    assert_true(tu_has(d, BB_DIAG_WARNING, want));
    bb_config_free(c);
    bb_diag_free(d);
}

#endif

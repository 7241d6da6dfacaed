/*
 * A throwaway CA for the unit tests that need leaves: made by botbox's own
 * `ca init` code in a temporary directory, loaded, and removed after.
 * Used as a cmocka group or test fixture: tu_ca_setup / tu_ca_teardown,
 * the loaded CA in tu_ca.
 */
#ifndef BB_CAFIX_H
#define BB_CAFIX_H

#include "tests/unit/testutil.h"

#include "tls/ca.h"

#include <stdlib.h>

static char tu_ca_dir[64];
static struct bb_ca *tu_ca;

static int tu_ca_setup(void **state)
{
    (void)state;
    snprintf(tu_ca_dir, sizeof(tu_ca_dir), "/tmp/bb-ca-XXXXXX");
    assert_non_null(mkdtemp(tu_ca_dir));
    char sub[96], crt[128], key[128];
    snprintf(sub, sizeof(sub), "%s/ca", tu_ca_dir);
    snprintf(crt, sizeof(crt), "%s/ca.crt", sub);
    snprintf(key, sizeof(key), "%s/ca.key", sub);
    struct bb_diag *d = bb_diag_new();
    assert_int_equal(bb_ca_init(sub, d), 0);
    tu_ca = bb_ca_load(crt, key, d);
    assert_non_null(tu_ca);
    bb_diag_free(d);
    return 0;
}

static int tu_ca_teardown(void **state)
{
    (void)state;
    bb_ca_free(tu_ca);
    tu_ca = NULL;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tu_ca_dir);
    return system(cmd);
}

#endif

/*
 * Per-tenant connection counters (gateway/state/tenant_conns.c): one
 * counter per name, the same one on every later look-up (a reload finds
 * the connections its tenant already holds), and a counter handed out
 * stays where it is while the table grows (workers hold the pointers).
 */
#include "tests/unit/testutil.h"

#include "gateway/state/tenant_conns.h"

#include <stdio.h>

static void test_counters(void **state)
{
    (void)state;
    struct bb_tconns *t = bb_tconns_new();
    assert_non_null(t);
    atomic_uint *a = bb_tconns_get(t, "team-a");
    assert_non_null(a);
    assert_int_equal(atomic_load(a), 0);
    atomic_fetch_add(a, 3);
    assert_ptr_equal(bb_tconns_get(t, "team-a"), a);
    atomic_uint *b = bb_tconns_get(t, "team-b");
    assert_true(b != a);
    char name[32];
    for (int i = 0; i < 10000; i++) { /* grows many times */
        snprintf(name, sizeof(name), "t%d", i);
        atomic_uint *c = bb_tconns_get(t, name);
        assert_non_null(c);
        atomic_fetch_add(c, (unsigned)i);
    }
    assert_ptr_equal(bb_tconns_get(t, "team-a"), a); /* not moved */
    assert_int_equal(atomic_load(a), 3);
    for (int i = 0; i < 10000; i += 997) {
        snprintf(name, sizeof(name), "t%d", i);
        assert_int_equal(atomic_load(bb_tconns_get(t, name)), (unsigned)i);
    }
    bb_tconns_free(t);
    bb_tconns_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests_name("gateway/tenant_conns", tests, NULL, NULL);
}

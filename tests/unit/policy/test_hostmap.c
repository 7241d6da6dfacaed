/*
 * Host map: insert, duplicate detection, growth, absent keys.
 */
#include "tests/unit/testutil.h"

#include "policy/hostmap.h"

static void test_put_get(void **state)
{
    (void)state;
    struct bb_hostmap *m = bb_hostmap_new();
    assert_int_equal(bb_hostmap_put(m, "a.test", 6, 7), 0);
    assert_int_equal(bb_hostmap_put(m, "b.test", 6, 8), 0);
    assert_int_equal(bb_hostmap_put(m, "a.test", 6, 9), 1); /* duplicate keeps the first */
    assert_int_equal(bb_hostmap_get(m, "a.test", 6), 7);
    assert_int_equal(bb_hostmap_get(m, "b.test", 6), 8);
    assert_int_equal(bb_hostmap_get(m, "c.test", 6), -1);
    assert_int_equal(bb_hostmap_get(m, "a.tes", 5), -1);
    assert_int_equal(bb_hostmap_get(m, "", 0), -1);
    assert_int_equal(bb_hostmap_put(m, "", 0, 1), -1);
    assert_int_equal(bb_hostmap_size(m), 2);
    bb_hostmap_free(m);
}

static void test_growth(void **state)
{
    (void)state;
    struct bb_hostmap *m = bb_hostmap_new();
    char key[32];
    for (uint32_t i = 0; i < 50000; i++) {
        int n = snprintf(key, sizeof(key), "h%u.example", i);
        assert_int_equal(bb_hostmap_put(m, key, (size_t)n, i), 0);
    }
    for (uint32_t i = 0; i < 50000; i++) {
        int n = snprintf(key, sizeof(key), "h%u.example", i);
        assert_int_equal(bb_hostmap_get(m, key, (size_t)n), i);
    }
    assert_int_equal(bb_hostmap_get(m, "h50000.example", 14), -1);
    assert_int_equal(bb_hostmap_size(m), 50000);
    bb_hostmap_free(m);
    bb_hostmap_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests_name("policy/hostmap", tests, NULL, NULL);
}

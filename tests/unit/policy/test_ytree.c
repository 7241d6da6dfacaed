/*
 * YAML tree: positions, scalar styles, null spellings and the limits.
 */
#include "tests/unit/testutil.h"

#include "policy/ytree.h"

static struct bb_ytree *parse(const char *s, struct bb_yerr *e)
{
    return bb_ytree_parse(s, strlen(s), e);
}

static void test_positions_and_styles(void **state)
{
    (void)state;
    struct bb_yerr e;
    struct bb_ytree *t = parse("a: 1\nb:\n  - x\n  - 'y'\nc: ~\n", &e);
    assert_non_null(t);
    const struct bb_ynode *root = bb_ytree_root(t);
    assert_int_equal(root->kind, BB_Y_MAP);
    assert_int_equal(root->count, 3);
    const struct bb_ynode *a = bb_ymap_get(root, "a");
    assert_string_equal(a->str, "1");
    assert_true(a->plain);
    assert_int_equal(a->line, 1);
    assert_int_equal(a->col, 4);
    const struct bb_ynode *b = bb_ymap_get(root, "b");
    assert_int_equal(b->kind, BB_Y_SEQ);
    assert_int_equal(b->count, 2);
    assert_int_equal(b->first->line, 3);
    assert_int_equal(b->first->col, 5);
    assert_false(b->first->next->plain);
    assert_false(bb_ynode_is_null(b->first->next));
    assert_true(bb_ynode_is_null(bb_ymap_get(root, "c")));
    assert_null(bb_ymap_get(root, "d"));
    assert_null(bb_ymap_get(a, "x"));
    bb_ytree_free(t);
}

static void test_null_spellings(void **state)
{
    (void)state;
    struct bb_yerr e;
    struct bb_ytree *t = parse("a:\nb: null\nc: NULL\nd: \"null\"\ne: ''\n", &e);
    const struct bb_ynode *r = bb_ytree_root(t);
    assert_true(bb_ynode_is_null(bb_ymap_get(r, "a")));
    assert_true(bb_ynode_is_null(bb_ymap_get(r, "b")));
    assert_true(bb_ynode_is_null(bb_ymap_get(r, "c")));
    assert_false(bb_ynode_is_null(bb_ymap_get(r, "d"))); /* quoted: a string */
    assert_false(bb_ynode_is_null(bb_ymap_get(r, "e")));
    bb_ytree_free(t);
}

static void test_limits(void **state)
{
    (void)state;
    struct bb_yerr e;
    /* Too many keys in one mapping. */
    size_t cap = 16 * (BB_YAML_MAX_MAP_KEYS + 2);
    char *buf = malloc(cap);
    size_t n = 0;
    for (unsigned i = 0; i <= BB_YAML_MAX_MAP_KEYS; i++)
        n += (size_t)snprintf(buf + n, cap - n, "k%u: 1\n", i);
    assert_null(bb_ytree_parse(buf, n, &e));
    assert_string_equal(e.msg, "mapping has more than 256 keys");
    free(buf);
    /* An over-long scalar. */
    size_t big = BB_YAML_MAX_SCALAR + 16;
    buf = malloc(big + 8);
    memcpy(buf, "a: ", 3);
    memset(buf + 3, 'x', big);
    assert_null(bb_ytree_parse(buf, big + 3, &e));
    assert_string_equal(e.msg, "scalar longer than 65536 bytes");
    free(buf);
    /* The whole document. */
    assert_null(bb_ytree_parse("a: 1", (size_t)BB_YAML_MAX_BYTES + 1, &e));
    assert_string_equal(e.msg, "file is larger than 67108864 bytes");
}

static void test_alias_bomb(void **state)
{
    (void)state;
    struct bb_yerr e;
    const char *bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n";
    assert_null(parse(bomb, &e));
    assert_int_equal(e.line, 1);
    assert_string_equal(e.msg, "YAML anchors and aliases are not supported");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions_and_styles),
        cmocka_unit_test(test_null_spellings),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_alias_bomb),
    };
    return cmocka_run_group_tests_name("policy/ytree", tests, NULL, NULL);
}

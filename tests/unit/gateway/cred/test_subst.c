/*
 * Streaming substitution (gateway/cred/subst.c): a match split at every
 * byte across two pieces, leftmost-longest between a secret and the
 * header value holding it, refusal, nothing held back that cannot start
 * a match, and random splits of random texts against the reference
 * (tests/fuzz/subst_ref.h).
 */
#include "tests/unit/testutil.h"

#include "tests/fuzz/subst_ref.h"

#include <stdlib.h>

static struct bb_subst_scratch sc;
static struct bb_buf got;
static unsigned runs;
static const char *last_run;

static int sink(void *arg, const char *p, size_t n)
{
    (void)arg;
    runs++;
    last_run = p;
    return bb_buf_append(&got, p, n);
}

static int setup(void **state)
{
    (void)state;
    bb_subst_scratch_init(&sc);
    bb_buf_init(&got, 1u << 24);
    runs = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bb_subst_scratch_free(&sc);
    bb_buf_free(&got);
    return 0;
}

#define PAT(f, t, tg)                                                                              \
    {                                                                                              \
        .from = f, .from_len = sizeof(f) - 1, .to = t, .to_len = sizeof(t) - 1, .tag = tg          \
    }

static const struct bb_subst_pat secret_pats[] = {
    PAT("sk-real-0123456789", "PH-aaaaaaaaaaaaaaaaaaaaaaaa", 1),
    PAT("Bearer sk-real-0123456789", "Bearer PH-aaaaaaaaaaaaaaaaaaaaaaaa", 1),
    {.from = "bbph-XYZ", .from_len = 8, .tag = 2, .refuse = true},
};

static void expect_got(const char *want)
{
    assert_int_equal(bb_buf_size(&got), strlen(want));
    assert_memory_equal(bb_buf_head(&got), want, strlen(want));
}

static void test_no_match_one_run_uncopied(void **state)
{
    (void)state;
    struct bb_subst_set set;
    assert_int_equal(bb_subst_set_init(&set, secret_pats, 3), 0);
    struct bb_subst s = {0};
    bb_subst_start(&s, &set);
    const char text[] = "{\"model\":\"gpt\",\"n\":1}\n";
    assert_int_equal(bb_subst_feed(&s, &sc, text, sizeof(text) - 1, sink, NULL), 0);
    assert_int_equal(runs, 1);
    assert_ptr_equal(last_run, text);
    assert_int_equal(s.nheld, 0); /* ends in bytes no pattern starts with: nothing held */
    assert_int_equal(bb_subst_finish(&s, &sc, sink, NULL), 0);
    expect_got(text);
    bb_subst_release(&s);
}

static void test_split_at_every_byte(void **state)
{
    (void)state;
    struct bb_subst_set set;
    assert_int_equal(bb_subst_set_init(&set, secret_pats, 3), 0);
    const char text[] = "echo: {\"authorization\": \"Bearer sk-real-0123456789\", \"k\": "
                        "\"sk-real-0123456789\"}";
    const char want[] = "echo: {\"authorization\": \"Bearer PH-aaaaaaaaaaaaaaaaaaaaaaaa\", \"k\": "
                        "\"PH-aaaaaaaaaaaaaaaaaaaaaaaa\"}";
    for (size_t cut = 0; cut <= sizeof(text) - 1; cut++) {
        bb_buf_reset(&got);
        struct bb_subst s = {0};
        bb_subst_start(&s, &set);
        assert_int_equal(bb_subst_feed(&s, &sc, text, cut, sink, NULL), 0);
        assert_true(s.nheld < set.maxlen);
        assert_int_equal(bb_subst_feed(&s, &sc, text + cut, sizeof(text) - 1 - cut, sink, NULL), 0);
        assert_int_equal(bb_subst_finish(&s, &sc, sink, NULL), 0);
        expect_got(want);
        assert_int_equal(s.hits, 2); /* the header value whole, then the bare secret */
        assert_int_equal(s.tags, 1u << 1);
        bb_subst_release(&s);
    }
}

static void test_tail_held_only_when_it_may_match(void **state)
{
    (void)state;
    struct bb_subst_set set;
    assert_int_equal(bb_subst_set_init(&set, secret_pats, 3), 0);
    struct bb_subst s = {0};
    bb_subst_start(&s, &set);
    assert_int_equal(bb_subst_feed(&s, &sc, "data: x\n\ndata: sk-re", 20, sink, NULL), 0);
    expect_got("data: x\n\ndata: "); /* the event went out; "sk-re" may be a secret */
    assert_int_equal(s.nheld, 5);
    assert_int_equal(bb_subst_feed(&s, &sc, "st\n\n", 4, sink, NULL), 0);
    expect_got("data: x\n\ndata: sk-rest\n\n"); /* it was not */
    assert_int_equal(s.nheld, 0);
    assert_int_equal(s.hits, 0);
    bb_subst_release(&s);
}

static void test_refusal_stops_the_stream(void **state)
{
    (void)state;
    struct bb_subst_set set;
    assert_int_equal(bb_subst_set_init(&set, secret_pats, 3), 0);
    struct bb_subst s = {0};
    bb_subst_start(&s, &set);
    assert_int_equal(bb_subst_feed(&s, &sc, "key=bbph-X", 10, sink, NULL), 0);
    assert_int_equal(bb_subst_feed(&s, &sc, "YZ&rest", 7, sink, NULL), BB_SUBST_REFUSED);
    assert_int_equal(s.refused_tag, 2);
    expect_got("key="); /* the placeholder itself never went out */
    assert_int_equal(bb_subst_feed(&s, &sc, "more", 4, sink, NULL), BB_SUBST_REFUSED);
    bb_subst_release(&s);
}

static void test_whole_and_find(void **state)
{
    (void)state;
    struct bb_subst_set set;
    assert_int_equal(bb_subst_set_init(&set, secret_pats, 2), 0);
    struct bb_buf out;
    bb_buf_init(&out, 4096);
    uint32_t hits = 0;
    uint64_t tags = 0;
    assert_int_equal(bb_subst_all(&set, "a sk-real-0123456789 b", 22, &out, &hits, &tags, NULL), 0);
    assert_int_equal(bb_buf_size(&out), strlen("a PH-aaaaaaaaaaaaaaaaaaaaaaaa b"));
    assert_memory_equal(bb_buf_head(&out), "a PH-aaaaaaaaaaaaaaaaaaaaaaaa b", bb_buf_size(&out));
    assert_int_equal(hits, 1);
    bb_buf_reset(&out);
    assert_int_equal(bb_subst_all(&set, "nothing", 7, &out, &hits, &tags, NULL), 0);
    assert_memory_equal(bb_buf_head(&out), "nothing", 7);
    bb_buf_free(&out);
    int tag = -1;
    assert_true(bb_subst_find(&set, "x: Bearer sk-real-0123456789", 28, &tag));
    assert_int_equal(tag, 1);
    assert_false(bb_subst_find(&set, "x: Bearer sk-real-012345678", 27, &tag));
}

/* A stream never started (a zeroed struct, as a request's is) passes
 * bytes through and ends cleanly: a request with nothing to redact. */
static void test_unstarted_passes(void **state)
{
    (void)state;
    struct bb_subst s = {0};
    assert_int_equal(bb_subst_feed(&s, &sc, "abc", 3, sink, NULL), 0);
    assert_int_equal(bb_subst_finish(&s, &sc, sink, NULL), 0);
    expect_got("abc");
}

static void test_set_limits(void **state)
{
    (void)state;
    struct bb_subst_set set;
    struct bb_subst_pat empty = {.from = "", .from_len = 0};
    assert_int_equal(bb_subst_set_init(&set, &empty, 1), -1);
    struct bb_subst_pat big_tag = {.from = "x", .from_len = 1, .tag = BB_SUBST_TAGS};
    assert_int_equal(bb_subst_set_init(&set, &big_tag, 1), -1);
    struct bb_subst_pat same = {.from = "abc", .from_len = 3, .to = "xyz", .to_len = 3};
    assert_int_equal(bb_subst_set_init(&set, &same, 1), 0);
    assert_true(set.same_length);
    assert_int_equal(bb_subst_set_init(&set, secret_pats, 1), 0);
    assert_false(set.same_length);
}

/* Texts of a 3-letter alphabet and patterns over it, cut at random. */
static void test_random_splits_match_reference(void **state)
{
    (void)state;
    srand(7);
    char from[4][8], to[4][8], text[600];
    struct bb_subst_pat pats[4];
    struct bb_buf want;
    bb_buf_init(&want, 1u << 20);
    for (int iter = 0; iter < 3000; iter++) {
        size_t np = 1 + (size_t)rand() % 4;
        for (size_t k = 0; k < np; k++) {
            size_t fl = 1 + (size_t)rand() % 6, tl = (size_t)rand() % 7;
            for (size_t j = 0; j < fl; j++)
                from[k][j] = (char)('a' + rand() % 3);
            for (size_t j = 0; j < tl; j++)
                to[k][j] = (char)('a' + rand() % 4);
            pats[k] = (struct bb_subst_pat){.from = from[k],
                                            .from_len = fl,
                                            .to = to[k],
                                            .to_len = tl,
                                            .tag = (uint8_t)k,
                                            .refuse = rand() % 9 == 0};
        }
        size_t len = (size_t)rand() % sizeof(text);
        for (size_t j = 0; j < len; j++)
            text[j] = (char)('a' + rand() % 4);
        struct bb_subst_set set;
        assert_int_equal(bb_subst_set_init(&set, pats, np), 0);
        bb_buf_reset(&want);
        uint32_t want_hits = 0;
        int want_tag = bb_subst_ref(pats, np, text, len, &want, &want_hits);
        bb_buf_reset(&got);
        struct bb_subst s = {0};
        bb_subst_start(&s, &set);
        int rc = 0;
        for (size_t at = 0; at < len && rc == 0;) {
            size_t piece = (size_t)rand() % 9;
            piece = piece > len - at ? len - at : piece;
            rc = bb_subst_feed(&s, &sc, text + at, piece, sink, NULL);
            at += piece;
            assert_true(s.nheld < set.maxlen);
        }
        if (rc == 0)
            rc = bb_subst_finish(&s, &sc, sink, NULL);
        if (want_tag >= 0) {
            assert_int_equal(rc, BB_SUBST_REFUSED);
            assert_int_equal(s.refused_tag, want_tag);
            assert_true(bb_buf_size(&got) <= bb_buf_size(&want));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(s.hits, want_hits);
            assert_int_equal(bb_buf_size(&got), bb_buf_size(&want));
        }
        assert_memory_equal(bb_buf_head(&got), bb_buf_head(&want), bb_buf_size(&got));
        bb_subst_release(&s);
    }
    bb_buf_free(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_match_one_run_uncopied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_at_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_held_only_when_it_may_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_stops_the_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_and_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unstarted_passes, setup, teardown),
        cmocka_unit_test(test_set_limits),
        cmocka_unit_test_setup_teardown(test_random_splits_match_reference, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

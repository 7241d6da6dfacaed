/*
 * common/: arena, diagnostics list, UTF-8 validator, buffers, blocks,
 * slabs, character classes.
 */
#include "tests/unit/testutil.h"

#include "common/arena.h"
#include "common/blocks.h"
#include "common/buf.h"
#include "common/chars.h"
#include "common/json.h"
#include "common/netaddr.h"
#include "common/slab.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include "common/utf8.h"

/* The appenders agree with printf, at the edges too, and stop at the limit. */
static void test_buf_numbers(void **state)
{
    (void)state;
    const uint64_t vals[] = {0, 1, 9, 10, 15, 16, 255, 1000, 4294967295u, UINT64_MAX};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char want[64];
        struct bb_buf b;
        bb_buf_init(&b, 64);
        assert_int_equal(bb_buf_append_u64(&b, vals[i]), 0);
        snprintf(want, sizeof(want), "%" PRIu64, vals[i]);
        assert_int_equal(bb_buf_size(&b), strlen(want));
        assert_memory_equal(bb_buf_head(&b), want, strlen(want));
        bb_buf_reset(&b);
        assert_int_equal(bb_buf_append_hex(&b, vals[i], 16), 0);
        snprintf(want, sizeof(want), "%016" PRIx64, vals[i]);
        assert_memory_equal(bb_buf_head(&b), want, 16);
        bb_buf_reset(&b);
        assert_int_equal(bb_buf_append_hex(&b, vals[i], 1), 0);
        snprintf(want, sizeof(want), "%" PRIx64, vals[i]);
        assert_int_equal(bb_buf_size(&b), strlen(want));
        assert_memory_equal(bb_buf_head(&b), want, strlen(want));
        bb_buf_free(&b);
    }
    struct bb_buf small;
    bb_buf_init(&small, 3);
    assert_int_equal(bb_buf_append_u64(&small, 1234), -1);
    assert_int_equal(bb_buf_append_u64(&small, 123), 0);
    bb_buf_free(&small);
}

/* The bound holds on both paths of bb_buf_append (inline and growing), and
 * a wrapped buffer never leaves the caller's memory (a realloc or free of
 * a stack array would crash under ASan). */
static void test_buf_bounds(void **state)
{
    (void)state;
    char big[100];
    memset(big, 'x', sizeof(big));
    struct bb_buf b;
    bb_buf_init(&b, 10000);
    for (int i = 0; i < 100; i++)
        assert_int_equal(bb_buf_append(&b, big, sizeof(big)), 0);
    assert_int_equal(bb_buf_append(&b, big, 1), -1); /* at the limit exactly */
    bb_buf_consume(&b, 150);
    assert_int_equal(bb_buf_append(&b, big, 100), 0); /* room by compaction */
    assert_int_equal(bb_buf_size(&b), 9950u);
    size_t cap = b.cap;
    assert_true(cap >= 9950u);
    assert_int_equal(bb_buf_free(&b), cap); /* what went back to the allocator */
    assert_int_equal(bb_buf_free(&b), 0u);

    char mem[64];
    bb_buf_wrap(&b, mem, sizeof(mem));
    assert_int_equal(bb_buf_append(&b, big, 60), 0);
    assert_int_equal(bb_buf_append(&b, big, 5), -1);
    assert_int_equal(bb_buf_append(&b, big, 4), 0);
    assert_ptr_equal(b.data, mem);
    size_t room;
    assert_null(bb_buf_space(&b, 1, &room));
    bb_buf_consume(&b, 10);
    assert_ptr_equal(bb_buf_space(&b, 100, &room), mem + 54); /* compacted in place */
    assert_int_equal(room, 10u);
    assert_int_equal(bb_buf_free(&b), 0u); /* the caller's memory: nothing went back */
    assert_int_equal(bb_buf_size(&b), 0u);
    assert_int_equal(bb_buf_append(&b, big, 64), 0); /* still usable, same memory */
    assert_ptr_equal(b.data, mem);
}

static void test_arena(void **state)
{
    (void)state;
    struct bb_arena *a = bb_arena_new();
    char *s = bb_arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    for (int i = 0; i < 10000; i++) {
        unsigned char *p = bb_arena_alloc(a, 24);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        for (int j = 0; j < 24; j++)
            assert_int_equal(p[j], 0);
        memset(p, 0xff, 24);
    }
    unsigned char *big = bb_arena_alloc(a, 1 << 20);
    assert_non_null(big);
    assert_int_equal(big[12345], 0);
    assert_non_null(bb_arena_alloc(a, 0));
    assert_null(bb_arena_calloc(a, SIZE_MAX / 2, 4));
    assert_string_equal(s, "hello"); /* earlier allocations survive */
    assert_true(bb_arena_footprint(a) >= (1 << 20) + 10000 * 32);
    bb_arena_free(a);
    bb_arena_free(NULL);
}

static void test_diag(void **state)
{
    (void)state;
    struct bb_diag *d = bb_diag_new();
    bb_diag_add(d, BB_DIAG_ERROR, "e%d", 1);
    bb_diag_add(d, BB_DIAG_WARNING, "w%d", 1);
    assert_int_equal(bb_diag_errors(d), 1);
    assert_int_equal(bb_diag_warnings(d), 1);
    assert_string_equal(bb_diag_text(d, 0), "e1");
    assert_int_equal(bb_diag_level_of(d, 1), BB_DIAG_WARNING);
    for (int i = 0; i < BB_DIAG_MAX_MESSAGES + 50; i++)
        bb_diag_add(d, BB_DIAG_ERROR, "more %d", i);
    /* Stored lines are capped, counts stay exact. */
    assert_int_equal(bb_diag_count(d), BB_DIAG_MAX_MESSAGES);
    assert_int_equal(bb_diag_errors(d), BB_DIAG_MAX_MESSAGES + 51);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    bb_diag_print(d, f);
    fclose(f);
    assert_non_null(strstr(out, "error: e1\nwarning: w1\n"));
    assert_non_null(strstr(out, "... and 52 more messages not shown\n"));
    free(out);
    bb_diag_clear(d);
    assert_int_equal(bb_diag_count(d), 0);
    assert_int_equal(bb_diag_errors(d), 0);
    bb_diag_free(d);
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t valid;
    } cases[] = {
        {"plain ascii", 11},
        {"caf\xc3\xa9", 5},
        {"\xe2\x82\xac", 3},      /* euro sign */
        {"\xf0\x9f\x98\x80", 4},  /* emoji */
        {"a\xc0\xaf", 1},         /* overlong '/' */
        {"a\xe0\x80\xaf", 1},     /* overlong, 3 bytes */
        {"a\xed\xa0\x80", 1},     /* surrogate */
        {"a\xf4\x90\x80\x80", 1}, /* above U+10FFFF */
        {"a\xf5\x80\x80\x80", 1},
        {"a\xc3", 1}, /* truncated */
        {"a\x80", 1}, /* stray continuation */
        {"a\xe2\x82", 1},
        {"\xff", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(bb_utf8_valid_prefix(cases[i].s, strlen(cases[i].s)), cases[i].valid);
}

/* json(s, n): bb_json_str's output for n bytes of s, NUL-terminated. */
static const char *json(const char *s, size_t n)
{
    static struct bb_buf b;
    bb_buf_free(&b);
    bb_buf_init(&b, 1024);
    assert_int_equal(bb_json_str(&b, s, n), 0);
    assert_int_equal(bb_buf_append(&b, "", 1), 0);
    return bb_buf_head(&b);
}

/* Audit strings: escapes, UTF-8 kept, anything else replaced, the limit. */
static void test_json(void **state)
{
    (void)state;
    assert_string_equal(json("", 0), "\"\"");
    assert_string_equal(json("/v1/x?a=b c", 11), "\"/v1/x?a=b c\"");
    assert_string_equal(json("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    assert_string_equal(json("\x01\n\x1f\x7f~", 5), "\"\\u0001\\u000a\\u001f\\u007f~\"");
    assert_string_equal(json("a\0b", 3), "\"a\\u0000b\"");
    assert_string_equal(json("caf\xc3\xa9!", 6), "\"caf\xc3\xa9!\"");
    assert_string_equal(json("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\"");
    assert_string_equal(json("\xff", 1), "\"\\ufffd\"");
    assert_string_equal(json("a\xc3", 2), "\"a\\ufffd\""); /* truncated */
    assert_string_equal(json("a\xc0\xaf"
                             "b",
                             4),
                        "\"a\\ufffd\\ufffdb\""); /* overlong */
    /* bytes past n are not read */
    assert_string_equal(json("abc\"", 3), "\"abc\"");
    /* at the limit: -1, whether a run, an escape or the closing quote overflows */
    struct bb_buf b;
    static const struct {
        const char *s;
        size_t n, limit;
    } full[] = {{"abcdefgh", 8, 8}, {"ab\x01", 3, 7}, {"ab\xc3\xa9", 4, 5}, {"abc", 3, 4}};
    for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
        bb_buf_init(&b, full[i].limit);
        assert_int_equal(bb_json_str(&b, full[i].s, full[i].n), -1);
        bb_buf_free(&b);
    }
    bb_buf_init(&b, 5);
    assert_int_equal(bb_json_str(&b, "abc", 3), 0); /* exactly fits */
    bb_buf_free(&b);
    json("", 0);
}

static void test_addr_format(void **state)
{
    (void)state;
    uint8_t v4[4], v6[16];
    char out[BB_NETADDR_MAX];
    inet_pton(AF_INET, "10.201.0.2", v4);
    inet_pton(AF_INET6, "fd00:201::2", v6);
    bb_addr_format(AF_INET, v4, 443, out, sizeof(out));
    assert_string_equal(out, "10.201.0.2:443");
    bb_addr_format(AF_INET, v4, -1, out, sizeof(out));
    assert_string_equal(out, "10.201.0.2");
    bb_addr_format(AF_INET, v4, 0, out, sizeof(out));
    assert_string_equal(out, "10.201.0.2:0");
    memset(v4, 0xff, sizeof(v4)); /* every octet three digits */
    bb_addr_format(AF_INET, v4, 65535, out, sizeof(out));
    assert_string_equal(out, "255.255.255.255:65535");
    memset(v4, 0, sizeof(v4));
    bb_addr_format(AF_INET, v4, -1, out, sizeof(out));
    assert_string_equal(out, "0.0.0.0");
    inet_pton(AF_INET, "10.201.0.2", v4);
    bb_addr_format(AF_INET6, v6, 65535, out, sizeof(out));
    assert_string_equal(out, "[fd00:201::2]:65535");
    bb_addr_format(AF_INET6, v6, -1, out, sizeof(out));
    assert_string_equal(out, "[fd00:201::2]");
    memset(v6, 0xff, sizeof(v6)); /* the longest text an address has */
    bb_addr_format(AF_INET6, v6, 65535, out, sizeof(out));
    assert_string_equal(out, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    bb_addr_format(AF_UNIX, v4, 1, out, sizeof(out));
    assert_string_equal(out, "?:1");
    bb_addr_format(AF_INET, v4, 8080, out, 6); /* cut to the room given */
    assert_string_equal(out, "10.20");
}

/* A block given back is the next one taken; larger requests are their own
 * allocations and never kept; the free list stops at BB_BLOCKS_KEPT. */
static void test_blocks(void **state)
{
    (void)state;
    struct bb_blocks l = {0};
    char *a = bb_block_get(&l, 100);
    assert_non_null(a);
    memset(a, 1, BB_BLOCK_SIZE); /* a whole block, whatever was asked */
    bb_block_put(&l, a, 100);
    assert_int_equal(l.nfree, 1u);
    assert_ptr_equal(bb_block_get(&l, BB_BLOCK_SIZE), a);
    assert_int_equal(l.nfree, 0u);
    char *big = bb_block_get(&l, BB_BLOCK_SIZE + 1);
    assert_non_null(big);
    memset(big, 2, BB_BLOCK_SIZE + 1);
    bb_block_put(&l, big, BB_BLOCK_SIZE + 1);
    assert_int_equal(l.nfree, 0u); /* freed, not kept */
    bb_block_put(&l, a, 1);

    enum { N = BB_BLOCKS_KEPT + 10 };
    void *many[N];
    for (size_t i = 0; i < N; i++)
        assert_non_null(many[i] = bb_block_get(&l, 1));
    for (size_t i = 0; i < N; i++)
        bb_block_put(&l, many[i], 1);
    assert_int_equal(l.nfree, BB_BLOCKS_KEPT);
    bb_block_put(&l, NULL, 1);
    assert_int_equal(l.nfree, BB_BLOCKS_KEPT);
    bb_blocks_free(&l); /* LeakSanitizer checks nothing is left */
    assert_int_equal(l.nfree, 0u);
    assert_null(l.free);
}

/* Every byte against RFC 9110's tchar: ALPHA, DIGIT and fifteen marks. NUL,
 * space, the separators and the bytes above 0x7f are not. */
/* Whether the page at p is mapped (mincore fails with ENOMEM if not). */
static bool mapped(void *p)
{
    unsigned char v;
    void *page = (void *)((uintptr_t)p & ~(uintptr_t)4095);
    if (mincore(page, 4096, &v) == 0)
        return true;
    assert_int_equal(errno, ENOMEM);
    return false;
}

/* Objects are distinct and aligned, fill slab after slab, a given-back
 * object is the next one handed out, and slabs whose objects all came back
 * are unmapped, one kept until the trim. */
static void test_slab(void **state)
{
    (void)state;
    enum { SIZE = 1000, N = 700 }; /* about 2.7 slabs of 256 KiB */
    struct bb_slab s;
    bb_slab_init(&s, SIZE);
    static unsigned char *obj[N];
    for (size_t i = 0; i < N; i++) {
        obj[i] = bb_slab_get(&s);
        assert_non_null(obj[i]);
        assert_int_equal((uintptr_t)obj[i] % 16, 0);
        memset(obj[i], (int)(i & 0xff), SIZE);
    }
    assert_int_equal(s.pages, 3);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < SIZE; j += 97)
            assert_int_equal(obj[i][j], i & 0xff); /* no two overlap */
    /* a hole in a full slab is filled before anything else */
    unsigned char *back = obj[10];
    bb_slab_put(&s, back);
#ifdef __SANITIZE_ADDRESS__
    assert_true(__asan_address_is_poisoned(back + SIZE / 2));
#endif
    obj[10] = bb_slab_get(&s);
    assert_ptr_equal(obj[10], back);
    void *first = obj[0], *last = obj[N - 1];
    for (size_t i = 0; i < N; i++)
        bb_slab_put(&s, obj[i]);
    assert_int_equal(s.pages, 1); /* one empty slab kept */
    assert_true(mapped(first));   /* the first to empty is the one kept */
    assert_false(mapped(last));   /* the others are unmapped */
    bb_slab_trim(&s);
    assert_int_equal(s.pages, 0);
    assert_false(mapped(first));
    assert_false(mapped(last));
    /* larger than BB_SLAB_OBJ_MAX: refused as out of memory, nothing mapped */
    bb_slab_init(&s, BB_SLAB_OBJ_MAX + 1);
    assert_null(bb_slab_get(&s));
    assert_int_equal(s.pages, 0);
}

static void test_tchar(void **state)
{
    (void)state;
    static const char marks[] = "!#$%&'*+-.^_`|~";
    int n = 0;
    for (int c = 0; c < 256; c++) {
        bool want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    (c != 0 && memchr(marks, c, sizeof(marks) - 1) != NULL);
        assert_int_equal(bb_is_tchar((unsigned char)c), want);
        n += want;
    }
    assert_int_equal(n, 26 + 26 + 10 + 15);
    assert_false(bb_is_tchar(':'));
    assert_false(bb_is_tchar('"'));
    assert_false(bb_is_tchar(0x80));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_numbers), cmocka_unit_test(test_buf_bounds),
        cmocka_unit_test(test_arena),       cmocka_unit_test(test_diag),
        cmocka_unit_test(test_utf8),        cmocka_unit_test(test_json),
        cmocka_unit_test(test_addr_format), cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_slab),        cmocka_unit_test(test_tchar),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}

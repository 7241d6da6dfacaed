/*
 * Path normalisation and segment-aware prefix matching.
 */
#include "tests/unit/testutil.h"

#include "policy/path.h"

static const struct {
    const char *in, *out;
    size_t pathlen;
} ok_cases[] = {
    {"/", "/", 1},
    {"/v1/models", "/v1/models", 10},
    {"/v1/models?limit=5&x=%2e%2e", "/v1/models?limit=5&x=%2e%2e", 10},
    {"/a/./b", "/a/b", 4},
    {"/a/b/../c", "/a/c", 4},
    {"/a/b/..", "/a/", 3},
    {"/a/.", "/a/", 3},
    {"/a/b/", "/a/b/", 5},
    {"/%7Euser/%41", "/~user/A", 8},
    {"/a%20b", "/a%20b", 6},
    {"/a%3fb", "/a%3Fb", 6},
    {"/a%c3%a9", "/a%C3%A9", 8},
    {"/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;=", 17},
    {"/..x/.y", "/..x/.y", 7},
    {"/a;b/c;d=1", "/a;b/c;d=1", 10}, /* parameters on a name are the name's */
    {"/...;x/y", "/...;x/y", 8},
    {"/x;../y", "/x;../y", 7},
    {"/a/..?q=/../", "/?q=/../", 1},
};

static void test_normalises(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        char out[256];
        size_t outlen, pathlen;
        const char *in = ok_cases[i].in;
        const char *why = bb_path_normalize(in, strlen(in), out, sizeof(out), &outlen, &pathlen);
        if (why != NULL || strcmp(out, ok_cases[i].out) != 0)
            fprintf(stderr, "case '%s': %s -> '%s'\n", in, why ? why : "ok", why ? "" : out);
        assert_null(why);
        assert_string_equal(out, ok_cases[i].out);
        assert_int_equal(outlen, strlen(ok_cases[i].out));
        assert_int_equal(pathlen, ok_cases[i].pathlen);
    }
}

static const struct {
    const char *in, *why;
} bad_cases[] = {
    {"", "path must start with '/'"},
    {"v1", "path must start with '/'"},
    {"*", "path must start with '/'"},
    {"http://a/b", "path must start with '/'"},
    {"/%2e%2e/a", "ambiguous percent-escape in path"},
    {"/a%2Fb", "ambiguous percent-escape in path"},
    {"/a%5cb", "ambiguous percent-escape in path"},
    {"/a%00", "ambiguous percent-escape in path"},
    {"/.%2e/", "ambiguous percent-escape in path"},
    {"/a\\b", "backslash in path"},
    {"/a//b", "empty path segment"},
    {"/v1/..;/admin", "dot segment with parameters"},
    {"/v1/..;jsessionid=1/admin", "dot segment with parameters"},
    {"/v1/.;/x", "dot segment with parameters"},
    {"/v1/..;", "dot segment with parameters"},
    {"//a", "empty path segment"},
    {"/a%", "malformed percent-escape"},
    {"/a%4", "malformed percent-escape"},
    {"/a%g0", "malformed percent-escape"},
    {"/..", "path escapes the root"},
    {"/a/../..", "path escapes the root"},
    {"/a b", "invalid character in path"},
    {"/a\"b", "invalid character in path"},
    {"/a<b>", "invalid character in path"},
    {"/caf\xc3\xa9", "invalid character in path"},
    {"/a#b", "fragment in request target"},
    /* Found by fuzz_path: the query was not checked at all. */
    {"/a?x\x01", "invalid character in query"},
    {"/a?x y", "invalid character in query"},
    {"/a?x=%zz", "malformed percent-escape"},
    {"/a?x=%4", "malformed percent-escape"},
};

static void test_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        char out[256];
        size_t outlen, pathlen;
        const char *in = bad_cases[i].in;
        const char *why = bb_path_normalize(in, strlen(in), out, sizeof(out), &outlen, &pathlen);
        if (why == NULL || strcmp(why, bad_cases[i].why) != 0)
            fprintf(stderr, "case '%s': got %s, want %s\n", in, why ? why : "ok", bad_cases[i].why);
        assert_non_null(why);
        assert_string_equal(why, bad_cases[i].why);
    }
}

static void test_limits(void **state)
{
    (void)state;
    static char in[BB_PATH_MAX + 2], out[BB_PATH_MAX + 3];
    size_t outlen, pathlen;
    memset(in, 'a', sizeof(in));
    in[0] = '/';
    assert_null(bb_path_normalize(in, BB_PATH_MAX, out, sizeof(out), &outlen, &pathlen));
    assert_string_equal(bb_path_normalize(in, BB_PATH_MAX + 1, out, sizeof(out), &outlen, &pathlen),
                        "path too long");
    assert_string_equal(bb_path_normalize("/abc", 4, out, 4, &outlen, &pathlen),
                        "output buffer too small");
    /* A NUL in the query (fuzz_path regression: output length disagreed). */
    assert_string_equal(bb_path_normalize("/a?x\0y", 6, out, sizeof(out), &outlen, &pathlen),
                        "invalid character in query");
    /* Stops at len. */
    assert_null(bb_path_normalize("/ok/../x", 3, out, sizeof(out), &outlen, &pathlen));
    assert_string_equal(out, "/ok");
}

static void test_prefix(void **state)
{
    (void)state;
#define P(path, prefix) bb_path_has_prefix(path, strlen(path), prefix, strlen(prefix))
    assert_true(P("/v1", "/v1"));
    assert_true(P("/v1/x", "/v1"));
    assert_false(P("/v1beta", "/v1"));
    assert_true(P("/v1/", "/v1/"));
    assert_true(P("/v1/x/y", "/v1/"));
    assert_false(P("/v1", "/v1/"));
    assert_true(P("/anything", "/"));
    assert_false(P("/", "/a"));
    assert_false(P("/x", ""));
#undef P
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalises),
        cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_prefix),
    };
    return cmocka_run_group_tests_name("policy/path", tests, NULL, NULL);
}

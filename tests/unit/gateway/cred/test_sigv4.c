/*
 * AWS SigV4 (gateway/cred/sigv4.c): the vectors of AWS's documentation
 * (the SigV4 test suite's get-vanilla, get-vanilla-query-order-key-case,
 * post-x-www-form-urlencoded; S3's GET object with a payload hash and its
 * presigned GET, which signs UNSIGNED-PAYLOAD), the encodings, parsing a
 * client's Authorization and scope, and region and service from hosts.
 */
#include "tests/unit/testutil.h"

#include "gateway/cred/sigv4.h"

#include <string.h>

#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S3_SECRET    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

struct vec {
    const char *method, *path, *query, *payload, *secret, *date, *region, *service;
    bool s3;
    struct bb_sigv4_hdr h[4];
    size_t nh;
    const char *signed_names, *sig;
};

#define H(n, v)                                                                                    \
    {                                                                                              \
        .name = n, .value = v, .name_len = sizeof(n) - 1, .value_len = sizeof(v) - 1               \
    }

static const struct vec vecs[] = {
    {"GET",
     "/",
     NULL,
     "",
     SUITE_SECRET,
     "20150830T123600Z",
     "us-east-1",
     "service",
     false,
     {H("Host", "example.amazonaws.com"), H("X-Amz-Date", "20150830T123600Z")},
     2,
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"GET",
     "/",
     "Param2=value2&Param1=value1",
     "",
     SUITE_SECRET,
     "20150830T123600Z",
     "us-east-1",
     "service",
     false,
     {H("Host", "example.amazonaws.com"), H("X-Amz-Date", "20150830T123600Z")},
     2,
     "host;x-amz-date",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"POST",
     "/",
     NULL,
     "Param1=value1",
     SUITE_SECRET,
     "20150830T123600Z",
     "us-east-1",
     "service",
     false,
     {H("Content-Type", "application/x-www-form-urlencoded"), H("Host", "example.amazonaws.com"),
      H("X-Amz-Date", "20150830T123600Z")},
     3,
     "content-type;host;x-amz-date",
     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    /* S3 GET object: the headers out of order, Range's value untrimmed */
    {"GET",
     "/test.txt",
     NULL,
     "",
     S3_SECRET,
     "20130524T000000Z",
     "us-east-1",
     "s3",
     true,
     {H("x-amz-date", "20130524T000000Z"), H("Range", "bytes=0-9 "),
      H("Host", "examplebucket.s3.amazonaws.com"),
      H("x-amz-content-sha256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
     4,
     "host;range;x-amz-content-sha256;x-amz-date",
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
    /* S3 presigned GET: the query signs, the payload is UNSIGNED-PAYLOAD */
    {"GET",
     "/test.txt",
     "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-"
     "1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders="
     "host&X-Amz-Signature=0000",
     NULL,
     S3_SECRET,
     "20130524T000000Z",
     "us-east-1",
     "s3",
     true,
     {H("Host", "examplebucket.s3.amazonaws.com")},
     1,
     "host",
     "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"},
};

static void test_aws_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        const struct vec *v = &vecs[i];
        char hash[65], sig[65];
        if (v->payload != NULL)
            bb_sigv4_sha256_hex(v->payload, strlen(v->payload), hash);
        struct bb_sigv4_req r = {
            .method = v->method,
            .method_len = strlen(v->method),
            .path = v->path,
            .path_len = strlen(v->path),
            .query = v->query,
            .query_len = v->query ? strlen(v->query) : 0,
            .hdrs = v->h,
            .nhdrs = v->nh,
            .payload_hash = v->payload != NULL ? hash : BB_SIGV4_UNSIGNED,
            .s3 = v->s3,
        };
        struct bb_buf creq, names;
        bb_buf_init(&creq, 4096);
        bb_buf_init(&names, 512);
        assert_int_equal(bb_sigv4_canonical(&creq, &names, &r), 0);
        assert_int_equal(bb_buf_size(&names), strlen(v->signed_names));
        assert_memory_equal(bb_buf_head(&names), v->signed_names, bb_buf_size(&names));
        assert_int_equal(bb_sigv4_signature(v->secret, strlen(v->secret), v->date, v->region,
                                            v->service, bb_buf_head(&creq), bb_buf_size(&creq),
                                            sig),
                         0);
        assert_string_equal(sig, v->sig);
        bb_buf_free(&creq);
        bb_buf_free(&names);
    }
}

static void uri_is(const char *path, bool s3, const char *want)
{
    struct bb_buf b;
    bb_buf_init(&b, 1024);
    assert_int_equal(bb_sigv4_canon_uri(&b, path, strlen(path), s3), 0);
    assert_int_equal(bb_buf_size(&b), strlen(want));
    assert_memory_equal(bb_buf_head(&b), want, strlen(want));
    bb_buf_free(&b);
}

static void query_is(const char *q, const char *want)
{
    struct bb_buf b;
    bb_buf_init(&b, 1024);
    assert_int_equal(bb_sigv4_canon_query(&b, q, strlen(q)), 0);
    assert_int_equal(bb_buf_size(&b), strlen(want));
    assert_memory_equal(bb_buf_head(&b), want, strlen(want));
    bb_buf_free(&b);
}

static void test_encodings(void **state)
{
    (void)state;
    /* S3: decoded and encoded once, nothing normalised */
    uri_is("/my%20key/a+b!/./x", true, "/my%20key/a%2Bb%21/./x");
    uri_is("/k%2fey", true, "/k%2Fey");
    /* others: dot and empty segments out, then twice */
    uri_is("/example/..", false, "/");
    uri_is("//example//", false, "/example/");
    uri_is("/./a/b/../c", false, "/a/c");
    /* dot segments written with %2E are dot segments (RFC 3986 §6.2.2.2) */
    uri_is("/a/b/%2E./c", false, "/a/c");
    uri_is("/a/%2e/c", false, "/a/c");
    uri_is("/a/..%2E/c", false, "/a/.../c");
    uri_is("/a%20b", false, "/a%2520b");
    uri_is("/$delete", false, "/%2524delete");
    uri_is("", false, "/");
    /* a lone '%' is itself */
    uri_is("/100%", true, "/100%25");
    query_is("b=2&a=1&a=0", "a=0&a=1&b=2");
    query_is("prefix=dir%2Fsub dir&list-type=2", "list-type=2&prefix=dir%2Fsub%20dir");
    query_is("Param1", "Param1=");
    query_is("acl&&x=%7e", "acl=&x=~");
    query_is("X-Amz-Signature=abc&z=1", "z=1");
    /* a repeated name sorts by value; encoded names sort as encoded */
    query_is("a%2Bb=1&a+b=2&a=%20", "a=%20&a%2Bb=1&a%2Bb=2");
}

static void test_header_values(void **state)
{
    (void)state;
    struct bb_sigv4_hdr h[] = {
        H("My-Header2", "\"a   b   c\""),
        H("my-header1", " value1"),
        H("Host", "example.amazonaws.com"),
        H("My-Header1", "value2 "),
    };
    struct bb_sigv4_req r = {.method = "GET",
                             .method_len = 3,
                             .path = "/",
                             .path_len = 1,
                             .hdrs = h,
                             .nhdrs = 4,
                             .payload_hash = BB_SIGV4_EMPTY_SHA256};
    struct bb_buf creq, names;
    bb_buf_init(&creq, 4096);
    bb_buf_init(&names, 512);
    assert_int_equal(bb_sigv4_canonical(&creq, &names, &r), 0);
    const char *want = "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1,value2\n"
                       "my-header2:\"a b c\"\n\nhost;my-header1;my-header2\n" BB_SIGV4_EMPTY_SHA256;
    assert_int_equal(bb_buf_size(&creq), strlen(want));
    assert_memory_equal(bb_buf_head(&creq), want, strlen(want));
    bb_buf_free(&creq);
    bb_buf_free(&names);
}

static void test_parse_auth(void **state)
{
    (void)state;
    struct bb_sigv4_auth a;
    const char *v = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
                    "SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d";
    assert_int_equal(bb_sigv4_parse_auth(v, strlen(v), &a), 0);
    assert_int_equal(a.akid_len, 11);
    assert_memory_equal(a.akid, "AKIDEXAMPLE", 11);
    assert_memory_equal(a.date, "20150830", 8);
    assert_int_equal(a.region_len, 9);
    assert_memory_equal(a.service, "iam", 3);
    assert_int_equal(a.signed_len, strlen("content-type;host;x-amz-date"));
    const char *bad[] = {
        "AWS4-HMAC-SHA256 Credential=AKID/2015083/us-east-1/iam/aws4_request, SignedHeaders=h, "
        "Signature=1",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=h",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws5_request, SignedHeaders=h, "
        "Signature=1",
        "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/iam/aws4_request, SignedHeaders=h, "
        "Signature=1",
        "AWS4-ECDSA-P256-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=h, Signature=1",
        "Bearer x",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(bb_sigv4_parse_auth(bad[i], strlen(bad[i]), &a), -1);
}

static void host_is(const char *host, const char *region, const char *service)
{
    char r[BB_SIGV4_SCOPE_PART_MAX + 1], s[BB_SIGV4_SCOPE_PART_MAX + 1];
    bool ok = bb_sigv4_from_host(host, r, s);
    if (region == NULL) {
        assert_false(ok);
        return;
    }
    assert_true(ok);
    assert_string_equal(r, region);
    assert_string_equal(s, service);
}

static void test_from_host(void **state)
{
    (void)state;
    host_is("s3.amazonaws.com", "us-east-1", "s3");
    host_is("bucket.s3.amazonaws.com", "us-east-1", "s3");
    host_is("my.bucket.s3.eu-west-1.amazonaws.com", "eu-west-1", "s3");
    host_is("bucket.s3-us-west-2.amazonaws.com", "us-west-2", "s3");
    host_is("s3.dualstack.ap-south-1.amazonaws.com", "ap-south-1", "s3");
    host_is("s3-external-1.amazonaws.com", "us-east-1", "s3");
    host_is("bedrock-runtime.us-east-1.amazonaws.com", "us-east-1", "bedrock");
    host_is("dynamodb.eu-central-1.amazonaws.com", "eu-central-1", "dynamodb");
    host_is("runtime.sagemaker.us-east-2.amazonaws.com", "us-east-2", "sagemaker");
    host_is("iam.amazonaws.com", "us-east-1", "iam");
    host_is("s3.cn-north-1.amazonaws.com.cn", "cn-north-1", "s3");
    host_is("example.com", NULL, NULL);
    host_is("amazonaws.com", NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_vectors),   cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_header_values), cmocka_unit_test(test_parse_auth),
        cmocka_unit_test(test_from_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The local CA: init, the checks at load (missing files, key and
 * certificate that do not match, a certificate that is not a CA), and the
 * leaves it mints (docs/reference.md §4), verified with OpenSSL's own verifier.
 */
#include "tests/unit/testutil.h"

#include "tls/ca.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <time.h>

static char dir[64], crt[96], key[96];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bb-ca-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(crt, sizeof(crt), "%s/a/ca.crt", dir);
    snprintf(key, sizeof(key), "%s/a/ca.key", dir);
    char sub[96];
    snprintf(sub, sizeof(sub), "%s/a", dir);
    struct bb_diag *d = bb_diag_new();
    assert_int_equal(bb_ca_init(sub, d), 0);
    bb_diag_free(d);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void expect_load_error(const char *c, const char *k, const char *want)
{
    struct bb_diag *d = bb_diag_new();
    assert_null(bb_ca_load(c, k, d));
    if (!tu_has(d, BB_DIAG_ERROR, want)) {
        tu_dump(d);
        fail_msg("expected an error containing %s", want);
    }
    bb_diag_free(d);
}

static void test_load_checks(void **state)
{
    (void)state;
    struct bb_diag *d = bb_diag_new();
    struct bb_ca *ca = bb_ca_load(crt, key, d);
    assert_non_null(ca);
    bb_ca_free(ca);
    bb_diag_free(d);
    char other[96], okey[96];
    snprintf(other, sizeof(other), "%s/b", dir);
    d = bb_diag_new();
    assert_int_equal(bb_ca_init(other, d), 0);
    assert_int_equal(bb_ca_init(other, d), -1); /* never overwritten */
    bb_diag_free(d);
    snprintf(okey, sizeof(okey), "%s/b/ca.key", dir);
    expect_load_error(crt, okey, "does not belong to");
    expect_load_error("/nonexistent/ca.crt", key, "/nonexistent/ca.crt: No such file");
    expect_load_error(key, key, "not a PEM certificate");
    expect_load_error(crt, crt, "not a PEM private key");
}

static void test_leaf(void **state)
{
    (void)state;
    struct bb_diag *d = bb_diag_new();
    struct bb_ca *ca = bb_ca_load(crt, key, d);
    X509 *leaf;
    EVP_PKEY *lk;
    time_t now = time(NULL);
    assert_int_equal(bb_ca_mint(ca, "api.test", 86400, &leaf, &lk), 0);
    /* names: CN and exactly one DNS SAN, both the SNI */
    char cn[64];
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn));
    assert_string_equal(cn, "api.test");
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    assert_int_equal(sk_GENERAL_NAME_num(sans), 1);
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, 0);
    assert_int_equal(g->type, GEN_DNS);
    assert_string_equal((const char *)ASN1_STRING_get0_data(g->d.dNSName), "api.test");
    GENERAL_NAMES_free(sans);
    /* serverAuth, not a CA, 16-byte serial, P-256 */
    assert_true(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
    assert_int_equal(X509_check_ca(leaf), 0);
    assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(leaf)), 16);
    assert_string_equal(EVP_PKEY_get0_type_name(lk), "EC");
    assert_int_equal(X509_check_private_key(leaf, lk), 1);
    /* validity: from 5 minutes ago to ttl from now */
    int days, secs;
    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf), X509_get0_notAfter(leaf));
    assert_int_equal(days * 86400 + secs, 86400 + BB_LEAF_BACKDATE);
    assert_true(X509_cmp_time(X509_get0_notBefore(leaf), &now) < 0);
    /* the CA verifies it for the name */
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, bb_ca_cert(ca));
    X509_STORE_CTX *vc = X509_STORE_CTX_new();
    X509_STORE_CTX_init(vc, store, leaf, NULL);
    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(vc), "api.test", 0);
    X509_STORE_CTX_set_purpose(vc, X509_PURPOSE_SSL_SERVER);
    assert_int_equal(X509_verify_cert(vc), 1);
    X509_STORE_CTX_free(vc);
    X509_STORE_free(store);
    /* two mints: different keys and serials */
    X509 *leaf2;
    EVP_PKEY *lk2;
    assert_int_equal(bb_ca_mint(ca, "api.test", 86400, &leaf2, &lk2), 0);
    assert_int_not_equal(
        ASN1_INTEGER_cmp(X509_get0_serialNumber(leaf), X509_get0_serialNumber(leaf2)), 0);
    assert_int_not_equal(EVP_PKEY_eq(lk, lk2), 1);
    X509_free(leaf2);
    EVP_PKEY_free(lk2);
    /* a leaf and its key are a matching pair, but not a CA */
    char lc[96], lkp[96];
    snprintf(lc, sizeof(lc), "%s/leaf.crt", dir);
    snprintf(lkp, sizeof(lkp), "%s/leaf.key", dir);
    FILE *f = fopen(lc, "w");
    PEM_write_X509(f, leaf);
    fclose(f);
    f = fopen(lkp, "w");
    PEM_write_PrivateKey(f, lk, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    expect_load_error(lc, lkp, "is not a CA certificate");
    X509_free(leaf);
    EVP_PKEY_free(lk);
    bb_ca_free(ca);
    bb_diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf, setup, teardown),
    };
    return cmocka_run_group_tests_name("tls/ca", tests, NULL, NULL);
}

/*
 * The leaf cache: hits return the same leaf, LRU eviction, TTL expiry,
 * and concurrent misses for one name minting once (the original BotBox
 * cases: cache size 1, TTL 1 s).
 */
#include "tests/unit/cafix.h"

#include "tls/ca.h"
#include "tls/certcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* The leaf for name; *hit set. The caller frees the returned cert. */
static X509 *get(struct bb_certcache *c, const char *name, bool *hit)
{
    X509 *x;
    EVP_PKEY *k;
    assert_int_equal(bb_certcache_get(c, name, &x, &k, hit), 0);
    EVP_PKEY_free(k);
    return x;
}

static void test_size_one_ttl_one(void **state)
{
    (void)state;
    struct bb_certcache *c = bb_certcache_new(tu_ca, 1, 1, 86400);
    bool hit;
    X509 *a1 = get(c, "a.test", &hit);
    assert_false(hit);
    X509 *a2 = get(c, "a.test", &hit);
    assert_true(hit);
    assert_int_equal(X509_cmp(a1, a2), 0); /* the same certificate */
    X509 *b = get(c, "b.test", &hit);      /* evicts a.test */
    assert_false(hit);
    X509 *a3 = get(c, "a.test", &hit);
    assert_false(hit);
    assert_int_not_equal(X509_cmp(a1, a3), 0);
    sleep(2); /* past the cache TTL */
    X509 *a4 = get(c, "a.test", &hit);
    assert_false(hit);
    assert_int_not_equal(X509_cmp(a3, a4), 0);
    X509 *a5 = get(c, "a.test", &hit);
    assert_true(hit);
    X509_free(a1);
    X509_free(a2);
    X509_free(a3);
    X509_free(a4);
    X509_free(a5);
    X509_free(b);
    bb_certcache_free(c);
}

static void test_lru(void **state)
{
    (void)state;
    struct bb_certcache *c = bb_certcache_new(tu_ca, 2, 3600, 86400);
    bool hit;
    X509_free(get(c, "a.test", &hit));
    X509_free(get(c, "b.test", &hit));
    X509_free(get(c, "a.test", &hit)); /* a is now the most recent */
    assert_true(hit);
    X509_free(get(c, "c.test", &hit)); /* evicts b */
    X509_free(get(c, "a.test", &hit));
    assert_true(hit);
    X509_free(get(c, "b.test", &hit));
    assert_false(hit);
    bb_certcache_free(c);
}

#define THREADS 8
static struct bb_certcache *shared;
static X509 *got[THREADS];
static bool hits[THREADS];
static pthread_barrier_t start;

static void *worker(void *arg)
{
    size_t i = (size_t)arg;
    EVP_PKEY *k;
    pthread_barrier_wait(&start);
    if (bb_certcache_get(shared, "same.test", &got[i], &k, &hits[i]) == 0)
        EVP_PKEY_free(k);
    return NULL;
}

static void test_concurrent_misses_mint_once(void **state)
{
    (void)state;
    shared = bb_certcache_new(tu_ca, 1024, 3600, 86400);
    pthread_t t[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (size_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    int misses = 0;
    for (size_t i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        misses += !hits[i];
    }
    assert_int_equal(misses, 1);
    for (size_t i = 0; i < THREADS; i++) {
        assert_int_equal(X509_cmp(got[0], got[i]), 0);
        X509_free(got[i]);
    }
    pthread_barrier_destroy(&start);
    bb_certcache_free(shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_size_one_ttl_one, tu_ca_setup, tu_ca_teardown),
        cmocka_unit_test_setup_teardown(test_lru, tu_ca_setup, tu_ca_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_misses_mint_once, tu_ca_setup,
                                        tu_ca_teardown),
    };
    return cmocka_run_group_tests_name("tls/certcache", tests, NULL, NULL);
}

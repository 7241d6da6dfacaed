/*
 * The leaf cache (see certcache.h).
 */
#include "tls/certcache.h"

#include "tls/ca.h"
#include "tls/hello.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

struct entry {
    char name[BB_SNI_MAX + 1];
    X509 *cert;
    EVP_PKEY *key;
    uint64_t expires_ms;
    bool minting;           /* a placeholder: another thread mints it */
    TAILQ_ENTRY(entry) lru; /* most recent first */
    struct entry *hnext;    /* hash chain */
};

struct shard {
    pthread_mutex_t lock;
    pthread_cond_t minted;
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    TAILQ_HEAD(lru, entry) lru;
    size_t n, cap;
};

struct bb_certcache {
    const struct bb_ca *ca;
    uint32_t cache_ttl_s, cert_ttl_s;
    struct shard *shards;
    size_t nshards;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

struct bb_certcache *bb_certcache_new(const struct bb_ca *ca, size_t capacity, uint32_t cache_ttl_s,
                                      uint32_t cert_ttl_s)
{
    struct bb_certcache *c = calloc(1, sizeof(*c));
    if (c == NULL || capacity == 0) {
        free(c);
        return NULL;
    }
    c->ca = ca;
    c->cache_ttl_s = cache_ttl_s;
    c->cert_ttl_s = cert_ttl_s;
    c->nshards = capacity / BB_CERTCACHE_SHARD_MIN;
    c->nshards = c->nshards < 1                     ? 1
                 : c->nshards > BB_CERTCACHE_SHARDS ? BB_CERTCACHE_SHARDS
                                                    : c->nshards;
    c->shards = calloc(c->nshards, sizeof(*c->shards));
    if (c->shards == NULL) {
        free(c);
        return NULL;
    }
    for (size_t i = 0; i < c->nshards; i++) {
        struct shard *s = &c->shards[i];
        TAILQ_INIT(&s->lru);
        s->cap = capacity / c->nshards + (i < capacity % c->nshards); /* sums to capacity */
        s->nbuckets = 1;
        while (s->nbuckets < s->cap)
            s->nbuckets <<= 1;
        s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->minted, NULL);
        if (s->buckets == NULL) {
            c->nshards = i + 1;
            bb_certcache_free(c);
            return NULL;
        }
    }
    return c;
}

static struct entry **slot(struct shard *s, const char *name)
{
    return &s->buckets[hash(name) & (s->nbuckets - 1)];
}

static struct entry *find(struct shard *s, const char *name)
{
    struct entry *e = *slot(s, name);
    while (e != NULL && strcmp(e->name, name) != 0)
        e = e->hnext;
    return e;
}

static void drop(struct shard *s, struct entry *e)
{
    for (struct entry **pp = slot(s, e->name); *pp != NULL; pp = &(*pp)->hnext)
        if (*pp == e) {
            *pp = e->hnext;
            break;
        }
    TAILQ_REMOVE(&s->lru, e, lru);
    s->n--;
    X509_free(e->cert);
    EVP_PKEY_free(e->key);
    free(e);
}

/* Room for one more: the least recently used finished entry goes. */
static void make_room(struct shard *s)
{
    for (struct entry *e = TAILQ_LAST(&s->lru, lru); e != NULL && s->n >= s->cap;
         e = TAILQ_PREV(e, lru, lru))
        if (!e->minting) {
            drop(s, e);
            return;
        }
}

static struct entry *placeholder(struct shard *s, const char *name)
{
    struct entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    make_room(s);
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->minting = true;
    e->hnext = *slot(s, name);
    *slot(s, name) = e;
    TAILQ_INSERT_HEAD(&s->lru, e, lru);
    s->n++;
    return e;
}

static int give(struct entry *e, X509 **cert, EVP_PKEY **key)
{
    X509_up_ref(e->cert);
    EVP_PKEY_up_ref(e->key);
    *cert = e->cert;
    *key = e->key;
    return 0;
}

int bb_certcache_get(struct bb_certcache *c, const char *name, X509 **cert, EVP_PKEY **key,
                     bool *hit)
{
    /* the high half picks the shard, the low half the bucket within it */
    struct shard *s = &c->shards[(hash(name) >> 32) % c->nshards];
    pthread_mutex_lock(&s->lock);
    struct entry *e;
    while ((e = find(s, name)) != NULL && e->minting)
        pthread_cond_wait(&s->minted, &s->lock);
    if (e != NULL && now_ms() < e->expires_ms) {
        TAILQ_REMOVE(&s->lru, e, lru);
        TAILQ_INSERT_HEAD(&s->lru, e, lru);
        give(e, cert, key);
        pthread_mutex_unlock(&s->lock);
        *hit = true;
        return 0;
    }
    if (e != NULL)
        drop(s, e); /* expired */
    e = placeholder(s, name);
    pthread_mutex_unlock(&s->lock);
    *hit = false;
    if (e == NULL)
        return -1;
    /* Minting takes a key generation and a signature: outside the lock. */
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    int rc = bb_ca_mint(c->ca, name, c->cert_ttl_s, &x, &k);
    pthread_mutex_lock(&s->lock);
    if (rc == 0) {
        e->cert = x;
        e->key = k;
        e->expires_ms = now_ms() + (uint64_t)c->cache_ttl_s * 1000u;
        e->minting = false;
        give(e, cert, key);
    } else {
        drop(s, e);
    }
    pthread_cond_broadcast(&s->minted);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void bb_certcache_free(struct bb_certcache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nshards; i++) {
        struct shard *s = &c->shards[i];
        while (!TAILQ_EMPTY(&s->lru))
            drop(s, TAILQ_FIRST(&s->lru));
        free(s->buckets);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->minted);
    }
    free(c->shards);
    free(c);
}

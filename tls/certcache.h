/*
 * The leaf certificate cache for HTTPS interception: one leaf per SNI,
 * minted on first use, kept for cert_cache_ttl_seconds, at most
 * cert_cache_size leaves, least recently used evicted first.
 *
 * Shared by all workers without a global lock: names are spread over up to
 * BB_CERTCACHE_SHARDS shards of at least BB_CERTCACHE_SHARD_MIN entries,
 * each with its own lock, LRU list and hash chains. LRU order is per shard;
 * a small cache (under twice BB_CERTCACHE_SHARD_MIN) is one shard, so its
 * order is exact. A hit holds its shard's lock for a lookup and a list
 * move. Concurrent misses for one
 * name mint once: the first inserts a placeholder and mints outside the
 * lock; the others wait on the shard (about a millisecond, once per name).
 */
#ifndef BB_CERTCACHE_H
#define BB_CERTCACHE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_CERTCACHE_SHARDS    16
#define BB_CERTCACHE_SHARD_MIN 64

struct bb_ca;
struct bb_certcache;

struct bb_certcache *bb_certcache_new(const struct bb_ca *ca, size_t capacity, uint32_t cache_ttl_s,
                                      uint32_t cert_ttl_s);
void bb_certcache_free(struct bb_certcache *c);

/* The leaf for name (a valid SNI): new references in *cert and *key (the
 * caller frees them), *hit says whether it came from the cache. 0, or -1
 * when minting failed. */
int bb_certcache_get(struct bb_certcache *c, const char *name, X509 **cert, EVP_PKEY **key,
                     bool *hit);

#endif

/*
 * Host map: an open-addressing hash table from normalised host names to rule
 * indexes. Built once per config (not thread-safe while building), then
 * read-only and safe to share between threads. Lookups cost O(1) whatever
 * the number of rules.
 *
 * Error convention: bb_hostmap_put returns 0, 1 when the key is already
 * present (the existing value is kept), or -1 on out-of-memory.
 */
#ifndef BB_HOSTMAP_H
#define BB_HOSTMAP_H

#include <stddef.h>
#include <stdint.h>

struct bb_hostmap;

struct bb_hostmap *bb_hostmap_new(void);
void bb_hostmap_free(struct bb_hostmap *m);

/* Stores key -> value. The key bytes are copied. */
int bb_hostmap_put(struct bb_hostmap *m, const char *key, size_t len, uint32_t value);

/* The value for key, or -1 when absent. */
int64_t bb_hostmap_get(const struct bb_hostmap *m, const char *key, size_t len);

size_t bb_hostmap_size(const struct bb_hostmap *m);

#endif

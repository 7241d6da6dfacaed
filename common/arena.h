/*
 * Arena: a bump allocator for memory that dies all at once (a parsed config,
 * one request). Allocations are zeroed and 16-byte aligned; there is no
 * per-object free. Not thread-safe: one owner at a time.
 *
 * Error convention: allocation functions return NULL when memory runs out.
 */
#ifndef BB_ARENA_H
#define BB_ARENA_H

#include <stddef.h>

struct bb_arena;

/* A new, empty arena, or NULL on out-of-memory. */
struct bb_arena *bb_arena_new(void);

/* Frees every allocation made from the arena, then the arena. NULL is fine. */
void bb_arena_free(struct bb_arena *a);

/* n zeroed bytes, valid until bb_arena_free. n == 0 returns a unique pointer. */
void *bb_arena_alloc(struct bb_arena *a, size_t n);

/* nmemb * size zeroed bytes; NULL on overflow as well as on out-of-memory. */
void *bb_arena_calloc(struct bb_arena *a, size_t nmemb, size_t size);

/* A NUL-terminated copy of the len bytes at s (s need not be terminated). */
char *bb_arena_strndup(struct bb_arena *a, const char *s, size_t len);

/* Total bytes obtained from the system so far (for benchmarks). */
size_t bb_arena_footprint(const struct bb_arena *a);

#endif

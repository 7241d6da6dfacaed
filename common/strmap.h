/*
 * A map from strings to pointers: open addressing (FNV-1a, linear
 * probing), doubled at half load, no removal. For tables that only grow
 * over a process's life and are looked up by name: the per-tenant
 * connection counters, the placeholders. Keys are copied; values are the
 * caller's (bb_strmap_free can free them).
 *
 * Thread-safety: none; callers serialise (both users are the control
 * thread's).
 */
#ifndef BB_STRMAP_H
#define BB_STRMAP_H

#include <stddef.h>

struct bb_strmap;

struct bb_strmap *bb_strmap_new(void);
/* Frees the map, and each value with free_value unless it is NULL. */
void bb_strmap_free(struct bb_strmap *m, void (*free_value)(void *));

/* The value of key, or NULL. */
void *bb_strmap_get(const struct bb_strmap *m, const char *key);
/* Adds key (absent) with value: 0, or -1 out of memory (nothing added). */
int bb_strmap_put(struct bb_strmap *m, const char *key, void *value);
size_t bb_strmap_count(const struct bb_strmap *m);

#endif

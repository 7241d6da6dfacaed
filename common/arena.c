/*
 * Arena allocator: a singly linked list of chunks; each allocation bumps an
 * offset in the newest chunk. Oversized requests get a chunk of their own so
 * a large allocation never wastes the rest of a normal chunk.
 */
#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BB_ARENA_CHUNK 65536u /* default chunk payload, bytes */
#define BB_ARENA_ALIGN 16u

struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct bb_arena {
    struct chunk *head;
    size_t footprint;
};

struct bb_arena *bb_arena_new(void)
{
    return calloc(1, sizeof(struct bb_arena));
}

void bb_arena_free(struct bb_arena *a)
{
    if (a == NULL)
        return;
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

static struct chunk *chunk_new(struct bb_arena *a, size_t cap)
{
    struct chunk *c = malloc(sizeof(*c) + cap);
    if (c == NULL)
        return NULL;
    c->used = 0;
    c->cap = cap;
    a->footprint += sizeof(*c) + cap;
    return c;
}

void *bb_arena_alloc(struct bb_arena *a, size_t n)
{
    if (n > SIZE_MAX - BB_ARENA_ALIGN)
        return NULL;
    size_t need = (n + BB_ARENA_ALIGN - 1) & ~(size_t)(BB_ARENA_ALIGN - 1);
    if (need == 0)
        need = BB_ARENA_ALIGN;
    struct chunk *c = a->head;
    if (c == NULL || c->cap - c->used < need) {
        if (need > BB_ARENA_CHUNK / 4) {
            /* Big object: private chunk, linked behind the current head so
             * the head keeps serving small allocations. */
            struct chunk *big = chunk_new(a, need);
            if (big == NULL)
                return NULL;
            big->used = need;
            if (c == NULL) {
                big->next = NULL;
                a->head = big;
            } else {
                big->next = c->next;
                c->next = big;
            }
            memset(big->data, 0, need);
            return big->data;
        }
        c = chunk_new(a, BB_ARENA_CHUNK);
        if (c == NULL)
            return NULL;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    memset(p, 0, need);
    return p;
}

void *bb_arena_calloc(struct bb_arena *a, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        return NULL;
    return bb_arena_alloc(a, nmemb * size);
}

char *bb_arena_strndup(struct bb_arena *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = bb_arena_alloc(a, len + 1);
    if (p == NULL)
        return NULL;
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

size_t bb_arena_footprint(const struct bb_arena *a)
{
    return a->footprint;
}

/*
 * Byte buffer: the one buffer type for network I/O.
 *
 * Invariants: data[off .. len) holds the unread bytes, 0 <= off <= len <=
 * cap, and cap never exceeds the limit given at init. Appending beyond the
 * limit fails instead of growing: every buffer has a named bound and a
 * defined outcome when it is reached (the caller decides: 431, 502, pause
 * reading). Consumed space is reclaimed by compaction, not by reallocation.
 *
 * Error convention: 0 / -1 (limit reached or out of memory).
 */
#ifndef BB_BUF_H
#define BB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bb_buf {
    char *data;
    size_t off, len, cap;
    size_t limit;
    bool fixed; /* data is the caller's memory (bb_buf_wrap): never grown or freed */
};

void bb_buf_init(struct bb_buf *b, size_t limit);
/* A buffer over the caller's size bytes at mem (a stack array, say): the
 * limit is size, nothing is allocated, bb_buf_free only empties it. */
void bb_buf_wrap(struct bb_buf *b, char *mem, size_t size);
/* Frees the memory (keeps the limit); returns how many bytes went back, for
 * a caller that counts what it gave to the allocator (0 for a wrapped one). */
size_t bb_buf_free(struct bb_buf *b);

/* Unread bytes. */
static inline size_t bb_buf_size(const struct bb_buf *b)
{
    return b->len - b->off;
}

static inline const char *bb_buf_head(const struct bb_buf *b)
{
    return b->data + b->off;
}

int bb_buf_append_slow(struct bb_buf *b, const void *p, size_t n);

/* Inline when the bytes fit the room already there: the request path
 * appends many short pieces (header lines, audit fields). */
static inline int bb_buf_append(struct bb_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n || n == 0)
        return bb_buf_append_slow(b, p, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}
int bb_buf_printf(struct bb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal, and in lower-case hex zero-padded to at least width digits
 * (width <= 16): the request path's numbers, without printf's cost. */
int bb_buf_append_u64(struct bb_buf *b, uint64_t v);
int bb_buf_append_hex(struct bb_buf *b, uint64_t v, unsigned width);

/* Marks n unread bytes as consumed (n <= size). Empties reset to offset 0. */
void bb_buf_consume(struct bb_buf *b, size_t n);

/* Room to read into: at least want bytes (fewer if the limit is near), after
 * compacting. Returns a pointer and sets *room, or NULL when full. Call
 * bb_buf_commit with what was written. */
char *bb_buf_space(struct bb_buf *b, size_t want, size_t *room);
void bb_buf_commit(struct bb_buf *b, size_t n);

void bb_buf_reset(struct bb_buf *b);

#endif

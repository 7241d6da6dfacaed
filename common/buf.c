/*
 * Byte buffer (see buf.h). Growth doubles up to the limit; consumed bytes
 * at the front are reclaimed by moving the unread tail down when space is
 * needed, so a buffer cycling through a connection's life keeps one
 * allocation.
 */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BB_BUF_MIN 4096u

void bb_buf_init(struct bb_buf *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit;
}

void bb_buf_wrap(struct bb_buf *b, char *mem, size_t size)
{
    *b = (struct bb_buf){.data = mem, .cap = size, .limit = size, .fixed = true};
}

size_t bb_buf_free(struct bb_buf *b)
{
    if (b->fixed) {
        b->off = b->len = 0;
        return 0;
    }
    size_t n = b->cap;
    free(b->data);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
    return n;
}

void bb_buf_reset(struct bb_buf *b)
{
    b->off = b->len = 0;
}

/* Makes room for n more bytes at data + len. */
static int reserve(struct bb_buf *b, size_t n)
{
    if (b->off > 0 && b->cap - b->len < n) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->cap - b->len >= n)
        return 0;
    if (n > b->limit || b->len > b->limit - n || b->fixed)
        return -1;
    size_t cap = b->cap ? b->cap : BB_BUF_MIN;
    while (cap < b->len + n)
        cap *= 2;
    if (cap > b->limit)
        cap = b->limit;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int bb_buf_append_slow(struct bb_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int bb_buf_printf(struct bb_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -1; /* only short, fixed-format lines go through here */
    return bb_buf_append(b, tmp, (size_t)n);
}

int bb_buf_append_u64(struct bb_buf *b, uint64_t v)
{
    char tmp[20]; /* 2^64 - 1 has 20 digits */
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return bb_buf_append(b, tmp + i, sizeof(tmp) - i);
}

int bb_buf_append_hex(struct bb_buf *b, uint64_t v, unsigned width)
{
    char tmp[16];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    while (i > 0 && sizeof(tmp) - i < width)
        tmp[--i] = '0';
    return bb_buf_append(b, tmp + i, sizeof(tmp) - i);
}

void bb_buf_consume(struct bb_buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

char *bb_buf_space(struct bb_buf *b, size_t want, size_t *room)
{
    size_t left = b->limit - (b->len - b->off);
    if (left == 0)
        return NULL;
    if (want > left)
        want = left;
    if (reserve(b, want) != 0)
        return NULL;
    *room = b->cap - b->len;
    return b->data + b->len;
}

void bb_buf_commit(struct bb_buf *b, size_t n)
{
    b->len += n;
}

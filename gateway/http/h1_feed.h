/*
 * The HTTP/1.1 side of an HTTP/2 stream: a message made as it is read,
 * from a head written whole, body bytes as the stream's DATA brings them
 * (framed as chunks on the way when no length was given) and an end, with
 * the trailer fields when the framing can carry them. The client side
 * (gateway/proxy/h2.c) makes the requests its streams' requests read;
 * the upstream side (gateway/proxy/h2_up.c) the answers an upstream's
 * streams bring.
 *
 * The body bytes held are the stream's window: the reader tells how many
 * it took (credit), and the window opens by as many, so a slow reader
 * stops the peer instead of filling botbox's memory.
 *
 * Pure: bytes in struct bb_buf.
 */
#ifndef BB_H1_FEED_H
#define BB_H1_FEED_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Room a read needs beyond a chunk's bytes for its framing. */
#define BB_H1FEED_CHUNK_FRAMING 12u
/* bb_h1feed_read: everything was read and the message is over. */
#define BB_H1FEED_END (-2)

struct bb_h1feed {
    struct bb_buf head; /* read first */
    struct bb_buf data; /* body bytes, as they arrived */
    struct bb_buf tail; /* trailer lines while they come; then what ends the message */
    bool chunked;       /* the body goes out as chunks */
    bool ended;         /* no body byte comes any more: tail is the end */
};

/* Limits: the head's, the body bytes held (the stream's window), the
 * trailer lines (BB_HTTP_TRAILERS_MAX). Nothing is allocated yet. */
void bb_h1feed_init(struct bb_h1feed *f, size_t head_max, size_t data_max, size_t trailers_max);
/* Returns the bytes freed. */
size_t bb_h1feed_free(struct bb_h1feed *f);

/* A trailer field, kept as "name: value\r\n" when the framing is chunked
 * and bb_http_trailer_allowed says it may be relayed. -1: past the limit. */
int bb_h1feed_trailer(struct bb_h1feed *f, const char *name, size_t nlen, const char *value,
                      size_t vlen);
/* No more body bytes: the end is "0\r\n", the trailers, "\r\n" when
 * chunked, nothing otherwise. -1: out of memory. */
int bb_h1feed_end(struct bb_h1feed *f);

/* Up to n bytes of the message into buf: head, then body (a chunk needs
 * more than BB_H1FEED_CHUNK_FRAMING of room), then the end. *credit: the
 * body bytes taken by this read. Returns the bytes, 0 when nothing can be
 * read now, BB_H1FEED_END when everything was read and it is over. */
ssize_t bb_h1feed_read(struct bb_h1feed *f, char *buf, size_t n, size_t *credit);

/* Bytes wait to be read (or the end to be seen). */
bool bb_h1feed_pending(const struct bb_h1feed *f);

#endif

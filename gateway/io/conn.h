/*
 * Transport: a nonblocking socket, plain or TLS, behind one interface
 * (redis's connection vtable). The proxy never asks which one it has.
 *
 * I/O convention: >0 bytes moved, 0 would block (c->want then holds the
 * epoll events the transport waits for: TLS may need to read in order to
 * write), BB_IO_EOF for an orderly close, BB_IO_ERR for an error.
 */
#ifndef BB_CONN_H
#define BB_CONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define BB_IO_ERR (-1)
#define BB_IO_EOF (-2)

struct bb_conn;

struct bb_conn_ops {
    ssize_t (*read)(struct bb_conn *c, void *buf, size_t n);
    ssize_t (*write)(struct bb_conn *c, const void *buf, size_t n);
    int (*handshake)(struct bb_conn *c); /* 1 done, 0 in progress, -1 failed */
    void (*close)(struct bb_conn *c);
    /* Bytes wait that epoll will not report (see bb_conn_pending); NULL:
     * the TLS rule below. A transport without a socket (an HTTP/2 stream)
     * has only this way to say so. */
    bool (*pending)(const struct bb_conn *c);
};

struct bb_conn {
    const struct bb_conn_ops *ops;
    int fd;
    SSL *ssl;      /* TLS only */
    uint32_t want; /* after a 0 return: EPOLLIN and/or EPOLLOUT */
    bool failed;   /* an I/O error happened: the TLS session is not reused */
    bool prefixed; /* TLS server: still reading the ClientHello from memory */
    bool starved;  /* the last read wanted the socket: see bb_conn_pending */
};

/* The handshake op of a transport that has none (an HTTP/2 stream's):
 * done at once. */
int bb_conn_no_handshake(struct bb_conn *c);

/* Wraps a connected (or connecting) nonblocking socket. */
void bb_conn_plain(struct bb_conn *c, int fd);

/* Wraps fd in a TLS client for `host` (SNI and certificate name check for
 * names; IP address check for literals). Returns 0, or -1 on allocation
 * failure. The handshake then runs through bb_conn_handshake. */
int bb_conn_tls_client(struct bb_conn *c, int fd, SSL_CTX *ctx, const char *host, bool is_ip,
                       SSL_SESSION *resume);

static inline ssize_t bb_conn_read(struct bb_conn *c, void *buf, size_t n)
{
    return c->ops->read(c, buf, n);
}
static inline ssize_t bb_conn_write(struct bb_conn *c, const void *buf, size_t n)
{
    return c->ops->write(c, buf, n);
}
static inline int bb_conn_handshake(struct bb_conn *c)
{
    return c->ops->handshake(c);
}

/* Wraps fd in a TLS server that first reads the n bytes at prefix (the
 * ClientHello already taken off the socket to look at its SNI), then the
 * socket. cert/key/chain: the certificate to present (references taken).
 * Returns 0, or -1 on allocation failure. */
int bb_conn_tls_server(struct bb_conn *c, int fd, SSL_CTX *ctx, const void *prefix, size_t n,
                       X509 *cert, EVP_PKEY *key, X509 *chain);

struct bb_buf;

/* Reads at most max bytes into b. Returns >0 bytes, 0 would block (*want
 * set) or no room in b, <0 BB_IO_EOF / BB_IO_ERR. */
ssize_t bb_conn_read_buf(struct bb_conn *c, struct bb_buf *b, size_t max, uint32_t *want);

/* Writes out what b holds. Returns 0 (everything written, or would block
 * with *want set) or BB_IO_ERR. */
int bb_conn_flush_buf(struct bb_conn *c, struct bb_buf *b, uint32_t *want);

/* Bytes already taken off the socket wait inside TLS (read-ahead): epoll
 * will not report them, the reader must come back on its own. Not after a
 * read that ended wanting the socket: OpenSSL had then used every whole
 * record, so what it holds is part of one, and epoll reports the rest when
 * it comes. (SSL_has_pending counts such a part: a reader coming back for
 * it spun at full CPU until a slow peer sent the rest.) Nor after
 * bb_conn_read_buf found no room: coming back would find none either. */
static inline bool bb_conn_pending(const struct bb_conn *c)
{
    if (c->ops->pending != NULL)
        return !c->starved && c->ops->pending(c);
    return c->ssl != NULL && !c->starved && SSL_has_pending(c->ssl) == 1;
}

/* Whether application bytes wait inside TLS (after bb_conn_pending: the
 * records held may be only a session ticket). 1 yes, 0 no, -1 the peer
 * closed or failed. */
int bb_conn_peek_data(struct bb_conn *c);

/* An idle connection gives OpenSSL's record buffers back (it allocates
 * them again for the next record). Not while bytes wait in them. Returns
 * true when they went back; a plain connection has none. */
bool bb_conn_release(struct bb_conn *c);

/* Closes the socket and frees TLS state. Safe to call twice. */
void bb_conn_close(struct bb_conn *c);

#endif

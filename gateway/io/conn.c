/*
 * Plain and TLS transports (see conn.h).
 */
#include "gateway/io/conn.h"

#include "common/buf.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- plain ---- */

static ssize_t plain_read(struct bb_conn *c, void *buf, size_t n)
{
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r > 0)
        return r;
    if (r == 0)
        return BB_IO_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        c->want = EPOLLIN;
        return 0;
    }
    return BB_IO_ERR;
}

static ssize_t plain_write(struct bb_conn *c, const void *buf, size_t n)
{
    ssize_t r = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (r >= 0)
        return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        c->want = EPOLLOUT;
        return 0;
    }
    return BB_IO_ERR;
}

static int plain_handshake(struct bb_conn *c)
{
    (void)c;
    return 1;
}

static void plain_close(struct bb_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static const struct bb_conn_ops plain_ops = {plain_read, plain_write, plain_handshake, plain_close,
                                             NULL};

void bb_conn_plain(struct bb_conn *c, int fd)
{
    c->ops = &plain_ops;
    c->fd = fd;
    c->ssl = NULL;
    c->want = 0;
    c->failed = false;
    c->prefixed = false;
    c->starved = false;
}

/* ---- TLS ---- */

/* Maps an SSL_* result to the I/O convention, recording what to wait for. */
static ssize_t tls_result(struct bb_conn *c, int r)
{
    if (r > 0)
        return r;
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
        c->want = EPOLLIN;
        return 0;
    case SSL_ERROR_WANT_WRITE:
        c->want = EPOLLOUT;
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        return BB_IO_EOF;
    default:
        ERR_clear_error(); /* the queue is per thread: leave it clean */
        c->failed = true;
        return BB_IO_ERR;
    }
}

static ssize_t tls_read(struct bb_conn *c, void *buf, size_t n)
{
    ssize_t r = tls_result(c, SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n));
    c->starved = r == 0 && c->want == EPOLLIN;
    return r;
}

static ssize_t tls_write(struct bb_conn *c, const void *buf, size_t n)
{
    return tls_result(c, SSL_write(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n));
}

static int tls_handshake(struct bb_conn *c)
{
    ssize_t r = tls_result(c, SSL_do_handshake(c->ssl));
    return r > 0 ? 1 : r == 0 ? 0 : -1;
}

static void tls_close(struct bb_conn *c)
{
    if (c->ssl != NULL) {
        /* One close_notify, not waited for (the socket is nonblocking).
         * Without it OpenSSL treats the session as possibly compromised and
         * marks it not resumable (ssl_clear_bad_session), which is right
         * only after an error. */
        if (!c->failed && SSL_is_init_finished(c->ssl))
            SSL_shutdown(c->ssl);
        ERR_clear_error();
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    plain_close(c);
}

static const struct bb_conn_ops tls_ops = {tls_read, tls_write, tls_handshake, tls_close, NULL};

/* The server's handshake starts on a memory BIO holding the ClientHello;
 * once OpenSSL has consumed it and wants more, the socket takes over. */
static int tls_server_handshake(struct bb_conn *c)
{
    int r = tls_handshake(c);
    if (r == 0 && c->prefixed && c->want == EPOLLIN) {
        c->prefixed = false;
        SSL_set0_rbio(c->ssl, BIO_new_socket(c->fd, BIO_NOCLOSE)); /* frees the memory BIO */
        r = tls_handshake(c);
    }
    return r;
}

static const struct bb_conn_ops tls_server_ops = {tls_read, tls_write, tls_server_handshake,
                                                  tls_close, NULL};

int bb_conn_tls_server(struct bb_conn *c, int fd, SSL_CTX *ctx, const void *prefix, size_t n,
                       X509 *cert, EVP_PKEY *key, X509 *chain)
{
    bb_conn_plain(c, fd);
    SSL *ssl = SSL_new(ctx);
    BIO *mem = BIO_new(BIO_s_mem());
    BIO *wr = BIO_new_socket(fd, BIO_NOCLOSE);
    if (ssl == NULL || mem == NULL || wr == NULL || BIO_write(mem, prefix, (int)n) != (int)n ||
        SSL_use_certificate(ssl, cert) != 1 || SSL_use_PrivateKey(ssl, key) != 1 ||
        SSL_add1_chain_cert(ssl, chain) != 1) {
        SSL_free(ssl);
        BIO_free(mem);
        BIO_free(wr);
        ERR_clear_error();
        return -1;
    }
    BIO_set_mem_eof_return(mem, -1); /* empty: "retry", not end of stream */
    SSL_set_bio(ssl, mem, wr);
    /* One read() per record or burst instead of two (the 5-byte header,
     * then the body): the client's request costs one system call fewer.
     * What comes along waits inside TLS (bb_conn_pending; the proxy comes
     * back for it), as toward the upstream. */
    SSL_set_read_ahead(ssl, 1);
    SSL_set_accept_state(ssl);
    c->ssl = ssl;
    c->prefixed = true;
    c->ops = &tls_server_ops;
    return 0;
}

int bb_conn_tls_client(struct bb_conn *c, int fd, SSL_CTX *ctx, const char *host, bool is_ip,
                       SSL_SESSION *resume)
{
    bb_conn_plain(c, fd);
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        return -1;
    SSL_set_fd(ssl, fd);
    SSL_set_connect_state(ssl);
    if (is_ip) {
        /* An IP literal: the certificate must name the address (no SNI). */
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
    } else {
        SSL_set_tlsext_host_name(ssl, host);
        SSL_set1_host(ssl, host);
    }
    if (resume != NULL)
        SSL_set_session(ssl, resume);
    c->ssl = ssl;
    c->ops = &tls_ops;
    return 0;
}

void bb_conn_close(struct bb_conn *c)
{
    if (c->ops != NULL)
        c->ops->close(c);
}

bool bb_conn_release(struct bb_conn *c)
{
    return c->ssl != NULL && !c->prefixed && SSL_free_buffers(c->ssl) == 1;
}

int bb_conn_peek_data(struct bb_conn *c)
{
    char byte;
    int n = SSL_peek(c->ssl, &byte, 1);
    if (n > 0)
        return 1;
    int err = SSL_get_error(c->ssl, n);
    ERR_clear_error();
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

ssize_t bb_conn_read_buf(struct bb_conn *c, struct bb_buf *b, size_t max, uint32_t *want)
{
    size_t room;
    char *space = bb_buf_space(b, max, &room);
    if (space == NULL) {
        /* Full, or no memory to grow it. The proxy's consumers empty their
         * buffers as they read, so this is out of memory in practice: no
         * kick then (bb_conn_pending), a kick would make no progress and
         * come back without end. The next event or the timer comes. */
        c->starved = true;
        return 0;
    }
    ssize_t n = bb_conn_read(c, space, room);
    if (n > 0) {
        bb_buf_commit(b, (size_t)n);
        *want = 0;
    } else if (n == 0) {
        *want = c->want;
    }
    return n;
}

int bb_conn_flush_buf(struct bb_conn *c, struct bb_buf *b, uint32_t *want)
{
    while (bb_buf_size(b) > 0) {
        ssize_t n = bb_conn_write(c, bb_buf_head(b), bb_buf_size(b));
        if (n == 0) {
            *want = c->want;
            return 0;
        }
        if (n < 0)
            return BB_IO_ERR;
        bb_buf_consume(b, (size_t)n);
    }
    *want = 0;
    return 0;
}

int bb_conn_no_handshake(struct bb_conn *c)
{
    (void)c;
    return 1;
}

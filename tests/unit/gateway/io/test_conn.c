/*
 * The TLS transport's read-ahead: bb_conn_pending says when bytes wait
 * inside OpenSSL where epoll cannot see them (a whole record: come back
 * for it at once), and not when all it holds is part of a record (epoll
 * reports the rest; coming back at once spun the worker). A real client
 * (read-ahead on, as toward the upstream) against a real server over a
 * socketpair; the server's records go through memory, so the test decides
 * how many of their bytes reach the socket. The interception side's server
 * reads ahead too: a client's records that arrive together are pending.
 * An idle connection gives OpenSSL's buffers back (bb_conn_release).
 */
#include "tests/unit/cafix.h"

#include "common/buf.h"
#include "gateway/io/conn.h"
#include "tls/ca.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct pair {
    struct bb_conn c; /* the client, under test */
    SSL_CTX *cctx, *sctx;
    SSL *srv;
    BIO *out; /* the server's records, before they reach the socket */
    int sfd;
};

/* Runs botbox's side (c) and a plain OpenSSL peer to the end of their
 * handshake, over nonblocking sockets, taking turns. */
static void handshake(struct bb_conn *c, SSL *peer)
{
    int done = 0;
    for (int i = 0; i < 100 && done != 3; i++) {
        if (!(done & 1) && bb_conn_handshake(c) == 1)
            done |= 1;
        if (!(done & 2) && SSL_do_handshake(peer) == 1)
            done |= 2;
    }
    assert_int_equal(done, 3);
    ERR_clear_error();
}

/* Connects a client and a server over a socketpair and completes the
 * handshake. From then on the server writes into memory (p->out). */
static void pair_open(struct pair *p)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    X509 *cert;
    EVP_PKEY *key;
    assert_int_equal(bb_ca_mint(tu_ca, "conn.test", 3600, &cert, &key), 0);
    p->sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_num_tickets(p->sctx, 0); /* no records after the handshake */
    p->srv = SSL_new(p->sctx);
    assert_int_equal(SSL_use_certificate(p->srv, cert), 1);
    assert_int_equal(SSL_use_PrivateKey(p->srv, key), 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    SSL_set_fd(p->srv, sv[1]);
    SSL_set_accept_state(p->srv);
    p->sfd = sv[1];
    p->cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_read_ahead(p->cctx, 1); /* as toward the upstream */
    assert_int_equal(bb_conn_tls_client(&p->c, sv[0], p->cctx, "conn.test", false, NULL), 0);
    handshake(&p->c, p->srv);
    p->out = BIO_new(BIO_s_mem());
    SSL_set0_wbio(p->srv, p->out);
}

static void pair_close(struct pair *p)
{
    bb_conn_close(&p->c);
    SSL_free(p->srv);
    close(p->sfd);
    SSL_CTX_free(p->sctx);
    SSL_CTX_free(p->cctx);
}

/* One record from the server, kept in memory. */
static void server_record(struct pair *p, const char *text)
{
    assert_int_equal(SSL_write(p->srv, text, (int)strlen(text)), (int)strlen(text));
}

/* Moves n bytes of the server's records (all of them: SIZE_MAX) to the
 * socket; at least one must be waiting. */
static void deliver(struct pair *p, size_t n)
{
    char buf[4096];
    size_t moved = 0;
    while (moved < n && BIO_pending(p->out) > 0) {
        size_t want = n - moved < sizeof(buf) ? n - moved : sizeof(buf);
        int len = BIO_read(p->out, buf, (int)want);
        assert_true(len > 0);
        assert_int_equal(write(p->sfd, buf, (size_t)len), len);
        moved += (size_t)len;
    }
    assert_true(moved > 0);
}

/* Two records reach the socket together and the client reads the first:
 * the second is then inside TLS. */
static void read_one_of_two(struct pair *p)
{
    pair_open(p);
    server_record(p, "one");
    server_record(p, "two");
    deliver(p, SIZE_MAX);
    char buf[8];
    assert_int_equal(bb_conn_read(&p->c, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "one", 3);
}

static void test_whole_record_is_pending(void **state)
{
    (void)state;
    struct pair p;
    read_one_of_two(&p);
    /* "two" came off the socket with "one": only TLS knows of it */
    assert_true(bb_conn_pending(&p.c));
    char buf[8];
    assert_int_equal(bb_conn_read(&p.c, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "two", 3);
    assert_int_equal(bb_conn_read(&p.c, buf, sizeof(buf)), 0);
    assert_int_equal(p.c.want, EPOLLIN);
    assert_false(bb_conn_pending(&p.c));
    pair_close(&p);
}

static void test_part_of_a_record_is_not(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p);
    server_record(&p, "three");
    size_t whole = (size_t)BIO_pending(p.out);
    deliver(&p, whole - 5);
    char buf[8];
    assert_int_equal(bb_conn_read(&p.c, buf, sizeof(buf)), 0);
    assert_int_equal(p.c.want, EPOLLIN);
    /* OpenSSL holds the part (the case this is about) ... */
    assert_int_equal(SSL_has_pending(p.c.ssl), 1);
    /* ... but nothing can be read until the socket brings the rest */
    assert_false(bb_conn_pending(&p.c));
    deliver(&p, 5);
    assert_int_equal(bb_conn_read(&p.c, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "three", 5);
    pair_close(&p);
}

/* A read into a buffer with no room gets nothing, whatever TLS holds:
 * coming back at once would get nothing again, without end. */
static void test_no_room_is_not_pending(void **state)
{
    (void)state;
    struct pair p;
    read_one_of_two(&p);
    assert_true(bb_conn_pending(&p.c));
    char buf[8];
    struct bb_buf full;
    bb_buf_init(&full, 4);
    assert_int_equal(bb_buf_append(&full, "abcd", 4), 0);
    uint32_t want = 0;
    assert_int_equal(bb_conn_read_buf(&p.c, &full, 16, &want), 0);
    assert_false(bb_conn_pending(&p.c));
    /* the record is still there for a read with room */
    assert_int_equal(bb_conn_read(&p.c, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "two", 3);
    bb_buf_free(&full);
    pair_close(&p);
}

/* The interception side: botbox's TLS server (started, as in the proxy,
 * from the ClientHello already read off the socket) against a real client
 * whose records reach the socket together. */
static void test_server_reads_ahead(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_num_tickets(sctx, 0);
    SSL *cli = SSL_new(cctx);
    SSL_set_fd(cli, sv[0]);
    SSL_set_connect_state(cli);
    assert_int_equal(SSL_do_handshake(cli), -1); /* the ClientHello is sent */
    char hello[4096];
    ssize_t n = read(sv[1], hello, sizeof(hello));
    assert_true(n > 0);
    X509 *cert;
    EVP_PKEY *key;
    assert_int_equal(bb_ca_mint(tu_ca, "conn.test", 3600, &cert, &key), 0);
    struct bb_conn c;
    assert_int_equal(
        bb_conn_tls_server(&c, sv[1], sctx, hello, (size_t)n, cert, key, bb_ca_cert(tu_ca)), 0);
    X509_free(cert);
    EVP_PKEY_free(key);
    handshake(&c, cli);
    assert_int_equal(SSL_write(cli, "one", 3), 3);
    assert_int_equal(SSL_write(cli, "two", 3), 3);
    char buf[8];
    assert_int_equal(bb_conn_read(&c, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "one", 3);
    assert_true(bb_conn_pending(&c)); /* "two" came off the socket with it */
    assert_int_equal(bb_conn_read(&c, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "two", 3);
    assert_int_equal(bb_conn_read(&c, buf, sizeof(buf)), 0);
    assert_false(bb_conn_pending(&c));
    bb_conn_close(&c);
    SSL_free(cli);
    close(sv[0]);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* An idle connection gives its TLS buffers back, and the next records
 * still go both ways (OpenSSL allocates them again); not while a record
 * waits inside TLS. A plain connection has none to give. */
static void test_release_when_idle(void **state)
{
    (void)state;
    struct pair p;
    read_one_of_two(&p);
    assert_false(bb_conn_release(&p.c)); /* "two" waits inside */
    char buf[8];
    assert_int_equal(bb_conn_read(&p.c, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "two", 3);
    assert_true(bb_conn_release(&p.c));
    server_record(&p, "three");
    deliver(&p, SIZE_MAX);
    assert_int_equal(bb_conn_read(&p.c, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "three", 5);
    assert_true(bb_conn_release(&p.c));
    assert_int_equal(bb_conn_write(&p.c, "ping", 4), 4);
    assert_int_equal(SSL_read(p.srv, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "ping", 4);
    pair_close(&p);

    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct bb_conn plain;
    bb_conn_plain(&plain, sv[0]);
    assert_false(bb_conn_release(&plain));
    bb_conn_close(&plain);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_record_is_pending),
        cmocka_unit_test(test_part_of_a_record_is_not),
        cmocka_unit_test(test_no_room_is_not_pending),
        cmocka_unit_test(test_server_reads_ahead),
        cmocka_unit_test(test_release_when_idle),
    };
    return cmocka_run_group_tests(tests, tu_ca_setup, tu_ca_teardown);
}

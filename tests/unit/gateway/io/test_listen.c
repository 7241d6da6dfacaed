/*
 * Listening sockets: what accepted connections inherit. On loopback, in
 * whatever namespace the suite runs in (no traffic leaves it).
 */
#include "tests/unit/testutil.h"

#include "gateway/io/listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connection to the listener, accepted; returns the accepted fd. */
static int accept_one(int lfd, int *cfd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &sl), 0);
    *cfd = socket(ss.ss_family, SOCK_STREAM, 0);
    assert_true(*cfd >= 0);
    assert_int_equal(connect(*cfd, (struct sockaddr *)&ss, sl), 0);
    int afd = -1;
    for (int i = 0; i < 1000 && afd < 0; i++) {
        afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (afd < 0)
            usleep(1000);
    }
    assert_true(afd >= 0);
    return afd;
}

static int tcp_opt(int fd, int opt)
{
    int v = -1;
    socklen_t l = sizeof(v);
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, opt, &v, &l), 0);
    return v;
}

/* Accepted connections start with delayed ACKs (TCP_QUICKACK reads 0): a
 * request's ACK waits to ride on the answer. Set before listen() it would
 * be lost (listen clears the ACK state); a plain socket reads 1. They
 * also send at once (TCP_NODELAY): with Nagle, the last small segment of
 * an answer would wait for the ACK that the client delays. */
static void test_accepted_options(void **state)
{
    (void)state;
    const char *addrs[] = {"127.0.0.1", "::1"};
    for (size_t i = 0; i < 2; i++) {
        int lfd = bb_listen(addrs[i], 0, 0); /* both loopbacks: a prerequisite, not skipped */
        assert_true(lfd >= 0);
        int cfd;
        int afd = accept_one(lfd, &cfd);
        assert_int_equal(tcp_opt(afd, TCP_QUICKACK), 0);
        assert_int_equal(tcp_opt(cfd, TCP_QUICKACK), 1); /* the default, for contrast */
        assert_int_equal(tcp_opt(afd, TCP_NODELAY), 1);
        assert_int_equal(tcp_opt(cfd, TCP_NODELAY), 0);
        close(afd);
        close(cfd);
        close(lfd);
    }
}

static void test_refuses_bad_address(void **state)
{
    (void)state;
    assert_int_equal(bb_listen("not-an-address", 8080, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_options),
        cmocka_unit_test(test_refuses_bad_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

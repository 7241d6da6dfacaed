/*
 * The resolver on the loop, against a small DNS responder on loopback that
 * counts what it is asked: lookups of a name already in flight share its
 * queries, every waiter gets the answer, a cancelled one is never called,
 * and a name asked again after its answer is asked again upstream.
 */
#include "tests/unit/testutil.h"

#include "gateway/io/loop.h"
#include "gateway/io/resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SEEN 32

/* The responder: A gets 192.0.2.1 (TTL 0, never dialled: a test address),
 * AAAA an empty answer. */
struct responder {
    struct bb_io io;
    int port;
    char seen[MAX_SEEN][72]; /* "api.test/1" (name/qtype) per query */
    int nseen;
};

/* The question's name as text; its end offset in *end (0: unparsable). */
static void qname(const uint8_t *m, size_t len, char *out, size_t *end)
{
    size_t o = 12, w = 0;
    *end = 0;
    while (o < len && m[o] != 0 && m[o] < 64 && o + 1 + m[o] < len && w + m[o] + 2 < 64) {
        if (w > 0)
            out[w++] = '.';
        memcpy(out + w, m + o + 1, m[o]);
        w += m[o];
        o += 1 + (size_t)m[o];
    }
    out[w] = '\0';
    if (o + 5 <= len && m[o] == 0)
        *end = o + 5; /* the zero label, qtype, qclass */
}

static void on_query(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)l;
    (void)events;
    struct responder *r = (struct responder *)io;
    uint8_t m[512];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(io->fd, m, sizeof(m) - 32, 0, (struct sockaddr *)&from, &fl);
    char name[64];
    size_t end;
    if (n < 12)
        return;
    qname(m, (size_t)n, name, &end);
    if (end == 0)
        return;
    uint16_t qtype = (uint16_t)(m[end - 4] << 8 | m[end - 3]);
    if (r->nseen < MAX_SEEN)
        snprintf(r->seen[r->nseen++], sizeof(r->seen[0]), "%s/%u", name, qtype);
    m[2] = 0x81; /* QR, RD */
    m[3] = 0x80; /* RA, NOERROR */
    m[6] = 0;
    m[7] = qtype == 1;
    memset(m + 8, 0, 4); /* no authority or additional records */
    size_t len = end;
    if (qtype == 1) {
        static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1};
        memcpy(m + len, rr, sizeof(rr));
        len += sizeof(rr);
    }
    sendto(io->fd, m, len, 0, (struct sockaddr *)&from, fl);
}

static int count_seen(const struct responder *r, const char *what)
{
    int n = 0;
    for (int i = 0; i < r->nseen; i++)
        n += strcmp(r->seen[i], what) == 0;
    return n;
}

struct waiter {
    int calls, status;
    char addr[INET6_ADDRSTRLEN];
};

/* The test's course: the first waiters, then one more lookup once all of
 * them are answered (a stopped loop stays stopped: one run only). */
static struct {
    struct bb_loop *loop;
    struct bb_resolver *r;
    struct waiter w[5];
    int pending;
    bool again_done;
} t;

static void on_resolved(void *arg, int status, const struct bb_addrs *a)
{
    struct waiter *w = arg;
    w->calls++;
    w->status = status;
    if (status == 0 && a->n > 0)
        inet_ntop(a->a[0].family, a->a[0].addr, w->addr, sizeof(w->addr));
    if (--t.pending > 0)
        return;
    if (!t.again_done) { /* answered lookups are gone: the name is asked again */
        t.again_done = true;
        t.pending = 1;
        if (bb_resolve(t.r, "api.test", on_resolved, &t.w[4]) != NULL)
            return;
    }
    bb_loop_stop(t.loop);
}

static void on_deadline(struct bb_loop *l, struct bb_timer *timer)
{
    (void)timer;
    bb_loop_stop(l);
}

static void test_lookups_in_flight_share_queries(void **state)
{
    (void)state;
    assert_int_equal(bb_resolver_global_init(), 0);
    struct bb_loop *l = t.loop = bb_loop_new();
    assert_non_null(l);
    static struct responder resp;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sl), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    assert_int_equal(bb_loop_io_add(l, &resp.io, fd, EPOLLIN, on_query), 0);
    char server[32];
    snprintf(server, sizeof(server), "127.0.0.1:%u", ntohs(sa.sin_port));
    struct bb_resolver *r = t.r = bb_resolver_new(l, server, false);
    assert_non_null(r);

    t.pending = 3;
    assert_non_null(bb_resolve(r, "api.test", on_resolved, &t.w[0]));
    assert_non_null(bb_resolve(r, "api.test", on_resolved, &t.w[1]));
    struct bb_resolve_req *gone = bb_resolve(r, "api.test", on_resolved, &t.w[2]);
    assert_non_null(gone);
    bb_resolve_cancel(gone);
    assert_non_null(bb_resolve(r, "other.test", on_resolved, &t.w[3]));
    struct bb_timer deadline = {0}; /* a c-ares retry would take 2 s */
    bb_loop_timer_set(l, &deadline, 3000, on_deadline);
    assert_int_equal(bb_loop_run(l), 0);
    bb_loop_timer_cancel(l, &deadline);

    assert_int_equal(t.pending, 0);
    for (int i = 0; i < 5; i++) {
        if (i == 2) {
            assert_int_equal(t.w[i].calls, 0); /* cancelled */
            continue;
        }
        assert_int_equal(t.w[i].calls, 1);
        assert_int_equal(t.w[i].status, 0);
        assert_string_equal(t.w[i].addr, "192.0.2.1");
    }
    /* One query pair for the three at once, one for the one after. */
    assert_int_equal(count_seen(&resp, "api.test/1"), 2);
    assert_int_equal(count_seen(&resp, "api.test/28"), 2);
    assert_int_equal(count_seen(&resp, "other.test/1"), 1);

    bb_resolver_free(r);
    bb_loop_io_del(l, &resp.io);
    close(fd);
    bb_loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups_in_flight_share_queries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

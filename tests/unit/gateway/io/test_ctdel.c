/*
 * Deleting a udp socket's conntrack entry, against the real kernel, in a
 * network namespace of the test's own (unshare; root required, as for the
 * e2e scenarios): the entry is gone once the call returns, a second call
 * finds none (-ENOENT, not reported), and without CAP_NET_ADMIN the call
 * fails with -EPERM, reported once on stderr however often it fails.
 */
#include "tests/unit/testutil.h"

#include "gateway/io/ctdel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A namespace with loopback up and conntrack in use: the kernel tracks a
 * namespace's flows only once a rule there needs it. */
static int setup(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "test_ctdel: needs root (a network namespace of its own)\n");
        return -1;
    }
    if (unshare(CLONE_NEWNET) != 0)
        return -1;
    return system("ip link set lo up && printf '%s\\n' 'table inet t { chain c { type filter "
                  "hook output priority 0; ct state new counter; }; }' | nft -f -") == 0
               ? 0
               : -1;
}

/* Whether the namespace has a udp entry from sport to dport. */
static bool ct_has(uint16_t sport, uint16_t dport)
{
    char want[64], line[512];
    snprintf(want, sizeof(want), "sport=%u dport=%u ", sport, dport);
    FILE *f = fopen("/proc/net/nf_conntrack", "r");
    assert_non_null(f);
    bool found = false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, " udp ") != NULL && strstr(line, want) != NULL;
    fclose(f);
    return found;
}

static uint16_t port_of(int fd, bool peer)
{
    struct sockaddr_in a;
    socklen_t l = sizeof(a);
    assert_int_equal(peer ? getpeername(fd, (struct sockaddr *)&a, &l)
                          : getsockname(fd, (struct sockaddr *)&a, &l),
                     0);
    return ntohs(a.sin_port);
}

/* A udp socket connected to a bound one on 127.0.0.1, one datagram sent:
 * the flow has an entry. Returns the sender; *rx is the receiver. */
static int flow(int *rx)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    *rx = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(*rx >= 0);
    assert_int_equal(bind(*rx, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(*rx, (struct sockaddr *)&a, &l), 0);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(send(fd, "q", 1, 0), 1);
    assert_true(ct_has(port_of(fd, false), port_of(fd, true)));
    return fd;
}

/* CAP_NET_ADMIN in or out of the effective set (it stays permitted). */
static void net_admin(bool on)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2];
    assert_int_equal(syscall(SYS_capget, &h, d), 0);
    if (on)
        d[CAP_NET_ADMIN / 32].effective |= 1u << (CAP_NET_ADMIN % 32);
    else
        d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
    assert_int_equal(syscall(SYS_capset, &h, d), 0);
}

static void test_delete(void **state)
{
    (void)state;
    struct bb_ctdel *d = bb_ctdel_open();
    assert_non_null(d);
    int rx, fd = flow(&rx);
    assert_int_equal(bb_ctdel_socket(d, fd), 0);
    assert_false(ct_has(port_of(fd, false), port_of(fd, true)));
    assert_int_equal(bb_ctdel_socket(d, fd), -ENOENT);
    assert_int_equal(bb_ctdel_socket(d, rx), -ENOTCONN); /* not connected: nothing to do */
    assert_int_equal(bb_ctdel_socket(NULL, fd), 0);      /* gateway mode */
    close(fd);
    close(rx);
    bb_ctdel_close(d);
}

/* Two failed deletions without CAP_NET_ADMIN, with stderr in a file for
 * their time only (an assertion failing meanwhile would be written there
 * and lost): the flows are made before, everything is checked after. */
static void test_without_net_admin(void **state)
{
    (void)state;
    struct bb_ctdel *d = bb_ctdel_open();
    assert_non_null(d);
    int rx[2], fd[2], rc[2];
    for (int i = 0; i < 2; i++)
        fd[i] = flow(&rx[i]);
    FILE *t = tmpfile();
    assert_non_null(t);
    net_admin(false);
    fflush(stderr);
    int saved = dup(2);
    assert_int_equal(dup2(fileno(t), 2), 2);
    for (int i = 0; i < 2; i++)
        rc[i] = bb_ctdel_socket(d, fd[i]);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    net_admin(true);
    char err[1024];
    rewind(t);
    err[fread(err, 1, sizeof(err) - 1, t)] = '\0';
    fclose(t);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rc[i], -EPERM);
        assert_true(ct_has(port_of(fd[i], false), port_of(fd[i], true))); /* still there */
        close(fd[i]);
        close(rx[i]);
    }
    const char *first = strstr(err, "cannot delete the conntrack entry");
    assert_non_null(first);
    assert_non_null(strstr(err, strerror(EPERM)));
    assert_null(strstr(first + 1, "cannot delete the conntrack entry")); /* once only */
    bb_ctdel_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_without_net_admin),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

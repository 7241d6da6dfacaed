/*
 * botbox run's pure parts: the private ranges it accepts, how many runs
 * they hold, the addresses of a slot, and CMD's user and environment.
 */
#include "tests/unit/testutil.h"

#include "gateway/run/run_plan.h"
#include "gateway/run/run_user.h"

#include <arpa/inet.h>
#include <stdlib.h>

static struct bb_run_ranges ranges(const char *v4, const char *v6)
{
    struct bb_run_ranges r;
    assert_null(bb_run_range4(v4, &r.v4));
    assert_null(bb_run_range6(v6, &r.v6));
    return r;
}

static void test_ranges(void **state)
{
    (void)state;
    struct bb_cidr c;
    assert_null(bb_run_range4(BB_RUN_NET4_DEFAULT, &c));
    assert_null(bb_run_range6(BB_RUN_NET6_DEFAULT, &c));
    assert_null(bb_run_range4("172.20.0.0/16", &c));
    assert_null(bb_run_range4("192.168.8.0/29", &c));
    assert_null(bb_run_range4("100.64.0.0/10", &c));
    assert_null(bb_run_range6("fd00:201:0:8000::/49", &c));
    assert_string_equal(bb_run_range4("8.8.0.0/16", &c),
                        "not a private range (10/8, 172.16/12, 192.168/16 or 100.64/10)");
    assert_string_equal(bb_run_range4("172.32.0.0/16", &c),
                        "not a private range (10/8, 172.16/12, 192.168/16 or 100.64/10)");
    assert_string_equal(bb_run_range4("0.0.0.0/0", &c),
                        "not a private range (10/8, 172.16/12, 192.168/16 or 100.64/10)");
    assert_string_equal(bb_run_range4("10.0.0.0/30", &c), "too small: a run needs a /29 at least");
    assert_string_equal(bb_run_range4("fd00::/48", &c), "expected an IPv4 range");
    assert_string_equal(bb_run_range6("10.0.0.0/8", &c), "expected an IPv6 range");
    assert_string_equal(bb_run_range6("2001:db8::/48", &c),
                        "not a unique local range (inside fc00::/7)");
    assert_string_equal(bb_run_range6("fd00::/64", &c), "too small: a run needs a /63 at least");
    assert_non_null(bb_run_range4("10.0.0.1/8", &c)); /* host bits set */
}

static void test_slots(void **state)
{
    (void)state;
    struct bb_run_ranges r = ranges("10.200.0.0/16", "fd00::/48");
    assert_int_equal(bb_run_slots(&r), BB_RUN_SLOTS_MAX); /* 8192 /29s */
    r = ranges("10.200.0.0/24", "fd00::/48");
    assert_int_equal(bb_run_slots(&r), 32); /* the smaller range decides */
    r = ranges("10.0.0.0/8", "fd00::/62");
    assert_int_equal(bb_run_slots(&r), 2);
    r = ranges("192.168.8.0/29", "fd00::/63");
    assert_int_equal(bb_run_slots(&r), 1);
}

static void expect4(struct in_addr a, const char *want)
{
    char buf[INET_ADDRSTRLEN];
    assert_string_equal(inet_ntop(AF_INET, &a, buf, sizeof(buf)), want);
}

static void expect6(const struct in6_addr *a, const char *want)
{
    char buf[INET6_ADDRSTRLEN];
    assert_string_equal(inet_ntop(AF_INET6, a, buf, sizeof(buf)), want);
}

static void test_ends(void **state)
{
    (void)state;
    struct bb_run_ranges r = ranges("10.200.0.0/16", "fd62:6f74:626f::/48");
    struct bb_run_ends e;
    bb_run_ends(&r, 0, &e);
    expect4(e.outer4, "10.200.0.1");
    expect4(e.gw_up4, "10.200.0.2");
    expect4(e.gw_cli4, "10.200.0.5");
    expect4(e.sandbox4, "10.200.0.6");
    expect6(&e.outer6, "fd62:6f74:626f::1");
    expect6(&e.gw_up6, "fd62:6f74:626f::2");
    expect6(&e.gw_cli6, "fd62:6f74:626f:1::1");
    expect6(&e.sandbox6, "fd62:6f74:626f:1::2");
    /* the last slot stays inside both ranges */
    bb_run_ends(&r, BB_RUN_SLOTS_MAX - 1, &e);
    expect4(e.outer4, "10.200.255.249");
    expect4(e.sandbox4, "10.200.255.254");
    expect6(&e.sandbox6, "fd62:6f74:626f:3fff::2");
    r = ranges("10.201.128.0/17", "fd00:201:0:8000::/49");
    bb_run_ends(&r, 300, &e);
    expect4(e.gw_cli4, "10.201.137.101");
    expect6(&e.gw_cli6, "fd00:201:0:8259::1");
}

static void test_user(void **state)
{
    (void)state;
    struct bb_run_user u;
    char why[256];
    unsetenv("SUDO_USER");
    assert_int_equal(bb_run_user_resolve(NULL, 1337, &u, why, sizeof(why)), 0);
    assert_string_equal(u.name, BB_RUN_DEFAULT_USER);
    assert_int_equal(bb_run_user_resolve("4242", 1337, &u, why, sizeof(why)), 0);
    assert_int_equal(u.uid, 4242);
    assert_int_equal(u.gid, 4242);
    assert_int_equal(u.ngroups, 0);
    assert_int_equal(bb_run_user_resolve("root", 1337, &u, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "refusing to run CMD as root"));
    assert_int_equal(bb_run_user_resolve("0", 1337, &u, why, sizeof(why)), -1);
    assert_int_equal(bb_run_user_resolve("1337", 1337, &u, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "proxy_uid 1337"));
    assert_int_equal(bb_run_user_resolve("no-such-user-here", 1337, &u, why, sizeof(why)), -1);
    assert_string_equal(why, "user no-such-user-here: no such user");
    setenv("SUDO_USER", "root", 1); /* sudo from root: not a user to become */
    assert_int_equal(bb_run_user_resolve(NULL, 1337, &u, why, sizeof(why)), 0);
    assert_string_equal(u.name, BB_RUN_DEFAULT_USER);
    unsetenv("SUDO_USER");
}

static size_t count(char **env, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; env[i] != NULL; i++)
        n += strncmp(env[i], prefix, strlen(prefix)) == 0;
    return n;
}

static void test_env(void **state)
{
    (void)state;
    struct bb_run_user u;
    char why[256];
    setenv("HOME", "/root", 1);
    setenv("CURL_CA_BUNDLE", "/somewhere/else.pem", 1);
    setenv("KEEP_ME", "1", 1);
    setenv("WGETRC", "/home/someone/.wgetrc", 1);
    assert_int_equal(bb_run_user_resolve("4242", 1337, &u, why, sizeof(why)), 0);
    assert_int_equal(bb_run_user_env(&u, "/run/botbox-run/1/ca.crt", "/run/botbox-run/1/wgetrc"),
                     0);
    assert_int_equal(count(u.envp, "WGETRC="), 1); /* wget's settings, naming the CA */
    assert_int_equal(count(u.envp, "WGETRC=/run/botbox-run/1/wgetrc"), 1);
    assert_int_equal(count(u.envp, "HOME="), 1);
    assert_int_equal(count(u.envp, "HOME=/"), 1);
    assert_int_equal(count(u.envp, "HOME=/root"), 0);
    assert_int_equal(count(u.envp, "USER=4242"), 1);
    assert_int_equal(count(u.envp, "KEEP_ME=1"), 1);
    for (size_t i = 0; bb_run_ca_vars[i] != NULL; i++) {
        char want[128];
        snprintf(want, sizeof(want), "%s=/run/botbox-run/1/ca.crt", bb_run_ca_vars[i]);
        assert_int_equal(count(u.envp, bb_run_ca_vars[i]), 1);
        assert_int_equal(count(u.envp, want), 1);
    }
    bb_run_user_free(&u);
    /* interception off: no CA variable at all, not even inherited ones */
    assert_int_equal(bb_run_user_env(&u, NULL, NULL), 0);
    assert_int_equal(count(u.envp, "CURL_CA_BUNDLE="), 0);
    assert_int_equal(count(u.envp, "WGETRC="), 0);
    assert_int_equal(count(u.envp, "SSL_CERT_FILE="), 0);
    bb_run_user_free(&u);
}

/* With interception, git speaks HTTP/1.1 (libcurl < 8.2's HTTP/2 uploads,
 * docs/run.md): one more GIT_CONFIG pair after the caller's own. */
static void test_env_git(void **state)
{
    (void)state;
    struct bb_run_user u;
    char why[256];
    assert_int_equal(bb_run_user_resolve("4242", 1337, &u, why, sizeof(why)), 0);
    unsetenv("GIT_CONFIG_COUNT");
    assert_int_equal(bb_run_user_env(&u, "/ca.crt", "/wgetrc"), 0);
    assert_int_equal(count(u.envp, "GIT_CONFIG_KEY_0=http.version"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_VALUE_0=HTTP/1.1"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_COUNT=1"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_COUNT="), 1);
    bb_run_user_free(&u);
    /* the caller's two pairs stay; a stray third of theirs is replaced */
    setenv("GIT_CONFIG_COUNT", "2", 1);
    setenv("GIT_CONFIG_KEY_0", "user.name", 1);
    setenv("GIT_CONFIG_VALUE_0", "agent", 1);
    setenv("GIT_CONFIG_KEY_1", "core.editor", 1);
    setenv("GIT_CONFIG_VALUE_1", "true", 1);
    setenv("GIT_CONFIG_KEY_2", "stray", 1);
    assert_int_equal(bb_run_user_env(&u, "/ca.crt", "/wgetrc"), 0);
    assert_int_equal(count(u.envp, "GIT_CONFIG_KEY_0=user.name"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_KEY_1=core.editor"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_KEY_2="), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_KEY_2=http.version"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_VALUE_2=HTTP/1.1"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_COUNT="), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_COUNT=3"), 1);
    bb_run_user_free(&u);
    /* interception off: the caller's git settings as they were */
    assert_int_equal(bb_run_user_env(&u, NULL, NULL), 0);
    assert_int_equal(count(u.envp, "GIT_CONFIG_COUNT=2"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_COUNT="), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_KEY_2=stray"), 1);
    assert_int_equal(count(u.envp, "GIT_CONFIG_VALUE_2="), 0);
    bb_run_user_free(&u);
    const char *const set[] = {"GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0",   "GIT_CONFIG_VALUE_0",
                               "GIT_CONFIG_KEY_1", "GIT_CONFIG_VALUE_1", "GIT_CONFIG_KEY_2"};
    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
        unsetenv(set[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges), cmocka_unit_test(test_slots), cmocka_unit_test(test_ends),
        cmocka_unit_test(test_user),   cmocka_unit_test(test_env),   cmocka_unit_test(test_env_git),
    };
    return cmocka_run_group_tests_name("gateway/run", tests, NULL, NULL);
}

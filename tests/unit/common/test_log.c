/*
 * Operator messages (common/log.h): one line each, one prefix, errno's
 * reason appended by bb_log_warn only, errno left as it was, long
 * messages cut but still one line, bb_fatalx exits 1.
 */
#include "tests/unit/testutil.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn with stderr sent to a pipe; returns what it wrote. */
static const char *captured(void (*fn)(void))
{
    static char out[4096];
    int p[2], saved = dup(STDERR_FILENO);
    assert_int_equal(pipe(p), 0);
    dup2(p[1], STDERR_FILENO);
    close(p[1]);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = read(p[0], out, sizeof(out) - 1);
    close(p[0]);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

static void warn_enoent(void)
{
    errno = ENOENT;
    bb_log_warn("opening %s", "x.yaml");
    assert_int_equal(errno, ENOENT); /* left as it was */
}

static void warnx_and_info(void)
{
    errno = EACCES;
    bb_log_warnx("no reason %d", 7);
    bb_log_info("serving");
    assert_int_equal(errno, EACCES);
}

static void run_prefixed(void)
{
    bb_log_prefix("botbox run");
    bb_log_warnx("needs root");
    bb_log_prefix(NULL);
    bb_log_warnx("back");
}

static void long_line(void)
{
    char big[3000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    bb_log_warnx("%s", big);
}

static void test_lines(void **state)
{
    (void)state;
    assert_string_equal(captured(warn_enoent),
                        "botbox: opening x.yaml: No such file or directory\n");
    assert_string_equal(captured(warnx_and_info), "botbox: no reason 7\nbotbox: serving\n");
    assert_string_equal(captured(run_prefixed), "botbox run: needs root\nbotbox: back\n");
    const char *l = captured(long_line);
    assert_true(strlen(l) < 3000);
    assert_non_null(strchr(l, '\n'));
    assert_ptr_equal(strchr(l, '\n'), l + strlen(l) - 1); /* one line, cut */
}

static void test_fatalx_exits_1(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], STDERR_FILENO);
        bb_fatalx("cannot go on: %s", "why");
    }
    close(p[1]);
    char out[256] = "";
    ssize_t n = read(p[0], out, sizeof(out) - 1);
    close(p[0]);
    out[n > 0 ? n : 0] = '\0';
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    assert_string_equal(out, "botbox: cannot go on: why\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_fatalx_exits_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

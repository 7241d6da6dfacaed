/*
 * Operator messages (see log.h). One line is formatted whole and written
 * with one call, so that lines of different threads do not interleave.
 */
#include "common/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024 /* longer messages are cut, never split */

static const char *log_prefix = BB_LOG_PREFIX_DEFAULT;

void bb_log_prefix(const char *prefix)
{
    log_prefix = prefix != NULL ? prefix : BB_LOG_PREFIX_DEFAULT;
}

__attribute__((format(printf, 2, 0))) static void emit(int err, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    int n = snprintf(line, sizeof(line), "%s: ", log_prefix);
    size_t len = n > 0 ? (size_t)n : 0;
    if (len < sizeof(line)) {
        n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
        len += n > 0 ? (size_t)n : 0;
    }
    if (err != 0 && len < sizeof(line)) {
        n = snprintf(line + len, sizeof(line) - len, ": %s", strerror(err));
        len += n > 0 ? (size_t)n : 0;
    }
    if (len >= sizeof(line))
        len = sizeof(line) - 1;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nowhere left to report a failed write to stderr */
}

/* One line, errno kept: what every level does. */
__attribute__((format(printf, 2, 0))) static void say(bool with_errno, const char *fmt, va_list ap)
{
    int err = errno;
    emit(with_errno ? err : 0, fmt, ap);
    errno = err;
}

void bb_log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(true, fmt, ap);
    va_end(ap);
}

void bb_log_warnx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(false, fmt, ap);
    va_end(ap);
}

void bb_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(false, fmt, ap);
    va_end(ap);
}

void bb_fatalx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(0, fmt, ap);
    va_end(ap);
    exit(1);
}

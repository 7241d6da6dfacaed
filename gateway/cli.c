/*
 * What every command uses: usage errors, option parsing, the config-only
 * command line, a diagnostics sink. The dispatcher (main.c) is above the
 * commands; this file is below them and knows none.
 */
#include "gateway/cli.h"

#include "common/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bb_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "botbox%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd != NULL)
        fprintf(stderr, " (try 'botbox help %s')\n", cmd);
    else
        fprintf(stderr, " (try 'botbox help')\n");
    return BB_EXIT_USAGE;
}

int bb_cli_option(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return **value != '\0' ? 1 : -1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

int bb_cli_config_only(int argc, char **argv, const char *cmd, const char **path)
{
    *path = NULL;
    for (int i = 1; i < argc; i++) {
        int rc = bb_cli_option(argc, argv, &i, "--config", path);
        if (rc < 0)
            return bb_cli_usage(cmd, "--config needs a file name");
        if (rc == 0 && argv[i][0] == '-')
            return bb_cli_usage(cmd, "unknown option '%s'", argv[i]);
        if (rc == 0)
            return bb_cli_usage(cmd, "unexpected argument '%s'", argv[i]);
    }
    if (*path == NULL)
        return bb_cli_usage(cmd, "--config FILE is required");
    return 0;
}

struct bb_diag *bb_cli_diag(const char *cmd)
{
    struct bb_diag *d = bb_diag_new();
    if (d == NULL)
        fprintf(stderr, "botbox %s: out of memory\n", cmd);
    return d;
}

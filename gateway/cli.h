/*
 * The command line's toolkit: `botbox COMMAND [ARGS]` runs one of the
 * commands of main.c's table, each in its own cmd_*.c file, and they use
 * this. Usage errors print one line on stderr and exit 2; a command's own
 * failures exit 1 (docs/reference.md §1).
 */
#ifndef BB_CLI_H
#define BB_CLI_H

#define BB_EXIT_OK    0
#define BB_EXIT_FAIL  1
#define BB_EXIT_USAGE 2

/* Prints "botbox CMD: message (try 'botbox help CMD')" and returns 2. */
int bb_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses "--name VALUE" / "--name=VALUE" at argv[*i]. Returns 1 and sets
 * *value when argv[*i] is that option (advancing *i past a separate value),
 * 0 when it is another argument, -1 when the value is missing. */
int bb_cli_option(int argc, char **argv, int *i, const char *name, const char **value);

/* Parses a command line that takes only --config FILE. Returns 0 with
 * *path set, or prints the usage error and returns BB_EXIT_USAGE. */
int bb_cli_config_only(int argc, char **argv, const char *cmd, const char **path);

struct bb_diag;

/* A new diagnostics sink, or NULL after "botbox CMD: out of memory" on
 * stderr (the caller exits BB_EXIT_FAIL). */
struct bb_diag *bb_cli_diag(const char *cmd);

#endif

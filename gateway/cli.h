/*
 * Command line: `botbox COMMAND [ARGS]`, one table of subcommands, each in
 * its own cmd_*.c file. Usage errors print one line on stderr and exit 2;
 * a command's own failures exit 1 (REFERENCE §1).
 */
#ifndef BB_CLI_H
#define BB_CLI_H

#define BB_EXIT_OK    0
#define BB_EXIT_FAIL  1
#define BB_EXIT_USAGE 2

struct bb_cmd {
    const char *name;
    const char *summary;               /* one line for `botbox help` */
    const char *help;                  /* full text for `botbox help NAME` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* Runs the command line; returns the process exit status. */
int bb_cli_main(int argc, char **argv);

/* Prints "botbox CMD: message (try 'botbox help CMD')" and returns 2. */
int bb_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses "--name VALUE" / "--name=VALUE" at argv[*i]. Returns 1 and sets
 * *value when argv[*i] is that option (advancing *i past a separate value),
 * 0 when it is another argument, -1 when the value is missing. */
int bb_cli_option(int argc, char **argv, int *i, const char *name, const char **value);

/* Parses a command line that takes only --config FILE. Returns 0 with
 * *path set, or prints the usage error and returns BB_EXIT_USAGE. */
int bb_cli_config_only(int argc, char **argv, const char *cmd, const char **path);

/* The subcommands (defined in their cmd_*.c files). */
int bb_cmd_check(int argc, char **argv);
extern const char bb_cmd_check_help[];
int bb_cmd_nft(int argc, char **argv);
extern const char bb_cmd_nft_help[];
int bb_cmd_serve(int argc, char **argv);
extern const char bb_cmd_serve_help[];
int bb_cmd_ca(int argc, char **argv);
int bb_cmd_run(int argc, char **argv);
extern const char bb_cmd_run_help[];
extern const char bb_cmd_ca_help[];

#endif

/*
 * Command dispatch and help. New subcommands are one line in `commands`.
 */
#include "gateway/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

static const char help_help[] = "usage: botbox help [COMMAND]\n"
                                "\n"
                                "Shows the list of commands, or the help of one command.\n";

static const struct bb_cmd commands[] = {
    {"serve", "run the gateway (proxy listeners, audit)", bb_cmd_serve_help, bb_cmd_serve},
    {"check", "validate a config and print the normalised policy", bb_cmd_check_help, bb_cmd_check},
    {"nft", "install, show or remove botbox's nftables steering", bb_cmd_nft_help, bb_cmd_nft},
    {"run", "run a command in a sandbox whose only way out is botbox", bb_cmd_run_help, bb_cmd_run},
    {"ca", "create a local CA for HTTPS interception", bb_cmd_ca_help, bb_cmd_ca},
    {"help", "show help for botbox or for one command", help_help, cmd_help},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct bb_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_overview(FILE *out)
{
    fprintf(out,
            "botbox %s: an egress gateway for workloads you do not fully trust\n"
            "\n"
            "usage: botbox COMMAND [ARGS]\n"
            "\n"
            "commands:\n",
            BB_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n"
                 "options:\n"
                 "  --version  print the version and exit\n"
                 "  --help     print this help and exit\n"
                 "\n"
                 "'botbox help COMMAND' shows the options of a command.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc == 1) {
        print_overview(stdout);
        return BB_EXIT_OK;
    }
    if (argc > 2)
        return bb_cli_usage("help", "too many arguments");
    const struct bb_cmd *c = find_command(argv[1]);
    if (c == NULL)
        return bb_cli_usage("help", "unknown command '%s'", argv[1]);
    fputs(c->help, stdout);
    return BB_EXIT_OK;
}

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

int bb_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return BB_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("botbox %s\n", BB_VERSION);
        return BB_EXIT_OK;
    }
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_overview(stdout);
        return BB_EXIT_OK;
    }
    if (strcmp(first, "--config") == 0 || strncmp(first, "--config=", 9) == 0)
        return bb_cmd_serve(argc, argv); /* `botbox --config FILE` means serve */
    if (first[0] == '-')
        return bb_cli_usage(NULL, "unknown option '%s'", first);
    const struct bb_cmd *c = find_command(first);
    if (c == NULL)
        return bb_cli_usage(NULL, "unknown command '%s'", first);
    return c->run(argc - 1, argv + 1);
}

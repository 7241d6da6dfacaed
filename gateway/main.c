/*
 * botbox: the single binary. Everything else lives in the library so that
 * tests can link it; this file holds the command table and hands the
 * command line to one of them. New subcommands are one line in `commands`.
 */
#include "gateway/cli.h"
#include "gateway/cmd.h"

#include <stdio.h>
#include <string.h>

struct cmd {
    const char *name;
    const char *summary;               /* one line for `botbox help` */
    const char *help;                  /* full text for `botbox help NAME` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

static int cmd_help(int argc, char **argv);

static const char help_help[] = "usage: botbox help [COMMAND]\n"
                                "\n"
                                "Shows the list of commands, or the help of one command.\n";

static const struct cmd commands[] = {
    {"serve", "run the gateway (proxy listeners, audit)", bb_cmd_serve_help, bb_cmd_serve},
    {"check", "validate a config and print the normalised policy", bb_cmd_check_help, bb_cmd_check},
    {"nft", "install, show or remove botbox's nftables steering", bb_cmd_nft_help, bb_cmd_nft},
    {"run", "run a command in a sandbox whose only way out is botbox", bb_cmd_run_help, bb_cmd_run},
    {"ca", "create a local CA for HTTPS interception", bb_cmd_ca_help, bb_cmd_ca},
    {"help", "show help for botbox or for one command", help_help, cmd_help},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cmd *find_command(const char *name)
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
    const struct cmd *c = find_command(argv[1]);
    if (c == NULL)
        return bb_cli_usage("help", "unknown command '%s'", argv[1]);
    fputs(c->help, stdout);
    return BB_EXIT_OK;
}

int main(int argc, char **argv)
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
    const struct cmd *c = find_command(first);
    if (c == NULL)
        return bb_cli_usage(NULL, "unknown command '%s'", first);
    return c->run(argc - 1, argv + 1);
}

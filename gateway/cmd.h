/*
 * The subcommands of `botbox` (each in its cmd_*.c file): their entry
 * points and help texts, for the command table in main.c.
 */
#ifndef BB_CMD_H
#define BB_CMD_H

int bb_cmd_serve(int argc, char **argv);
int bb_cmd_check(int argc, char **argv);
int bb_cmd_nft(int argc, char **argv);
int bb_cmd_run(int argc, char **argv);
int bb_cmd_ca(int argc, char **argv);

extern const char bb_cmd_serve_help[];
extern const char bb_cmd_check_help[];
extern const char bb_cmd_nft_help[];
extern const char bb_cmd_run_help[];
extern const char bb_cmd_ca_help[];

#endif

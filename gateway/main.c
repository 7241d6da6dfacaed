/*
 * botbox: the single binary. Everything lives in the library so tests can
 * link it; this file only hands the command line to the dispatcher.
 */
#include "gateway/cli.h"

int main(int argc, char **argv)
{
    return bb_cli_main(argc, argv);
}

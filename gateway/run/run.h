/*
 * `botbox run -- CMD`: CMD in a network namespace whose only way out is a
 * botbox gateway (docs/run.md). The life of a run:
 *
 *   set-up    config (forced to gateway mode on the run's client link),
 *             network (run_net.h), the gateway as a child process in the
 *             gateway namespace, ready before anything else happens;
 *   CMD       in the sandbox, under an init of its own in a new PID
 *             namespace (sandbox.h), in botbox run's process group so
 *             the terminal's signals reach it directly; SIGINT,
 *             SIGTERM, SIGHUP and SIGQUIT sent to botbox run itself are
 *             passed on;
 *   teardown  whatever CMD left running in the sandbox is killed, the
 *             gateway is stopped, the network removed: on every path,
 *             including CMD being killed and a failed set-up.
 *
 * Exit status: CMD's (128 + N when a signal N ended it); 125 when botbox
 * could not set up or the gateway stopped under CMD; 126 when CMD could not
 * be started; 127 when it was not found.
 */
#ifndef BB_RUN_H
#define BB_RUN_H

#define BB_RUN_EXIT_ERROR     125
#define BB_RUN_EXIT_CANNOT    126
#define BB_RUN_EXIT_NOT_FOUND 127

#define BB_RUN_DIR              "/run/botbox-run" /* per-run files: resolv.conf, ca.crt */
#define BB_RUN_READY_TIMEOUT_MS 15000             /* the gateway must be serving by then */
#define BB_RUN_STOP_GRACE_MS    3000 /* after SIGTERM, before SIGKILL (gateway, leftovers) */
#define BB_RUN_CA_MAX_BYTES     (1u << 20)

struct bb_run_opts {
    const char *config;
    const char *user;  /* NULL: $SUDO_USER, else nobody */
    const char *audit; /* NULL: the config's audit output (stdout becomes stderr) */
    const char *net4;  /* NULL: BB_RUN_NET4_DEFAULT */
    const char *net6;  /* NULL: BB_RUN_NET6_DEFAULT */
    char *const *argv; /* CMD and its arguments */
};

/* Returns the exit status described above. */
int bb_run(const struct bb_run_opts *o);

#endif

/*
 * `botbox serve`: the daemon's life cycle, run by the main thread, which
 * becomes the control thread (docs/reference.md §9): it owns signals (signalfd), the
 * config file and secrets directory watches (inotify), reloads, and it
 * publishes every new snapshot to the workers.
 *
 *   SIGHUP          reload config and secrets; an invalid config is logged
 *                   with its error and the running one stays
 *   config changes  the same, after a short debounce
 *   secrets change  new values applied within BB_SECRETS_RESCAN_MS at most
 *   SIGTERM/SIGINT  stop, exit 0
 */
#ifndef BB_SERVE_H
#define BB_SERVE_H

#include "policy/config.h"

#define BB_CONFIG_DEBOUNCE_MS  300 /* after the last change to the config file */
#define BB_SECRETS_DEBOUNCE_MS 100 /* after the last change in secrets_dir */
#define BB_SECRETS_RESCAN_MS                                                                       \
    1000 /* periodic re-read: covers missed events and a                                           \
            directory created after start */

struct bb_serve_opts {
    const char *path;         /* the config file: watched, reloaded */
    struct bb_load_opts load; /* how it is loaded, at start and on every reload */
    /* >= 0: a network namespace to move to once every listener is bound
     * (botbox run): the listeners stay where they were opened, while
     * upstream connections and lookups leave from this one. */
    int egress_netns;
    /* Called once, when serving (listeners bound, privileges dropped,
     * threads started); NULL: nothing. */
    void (*on_ready)(void *arg);
    void *ready_arg;
    bool quiet; /* no "serving on port" line */
};

/* Runs the daemon for the config at o->path, already loaded as boot (which
 * it takes over). Returns the process exit status. */
int bb_serve(const struct bb_serve_opts *o, const struct bb_config *boot, struct bb_diag *diag);

#endif

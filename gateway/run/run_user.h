/*
 * Who CMD runs as under `botbox run`, and its environment.
 *
 * The user is --user (a name or a number), else the user sudo was run by
 * ($SUDO_USER), else nobody. Root and the gateway's own proxy_uid are
 * refused: root could leave the sandbox (enter the gateway's namespace,
 * rewrite its ruleset), and proxy_uid's traffic is exempt from steering
 * in sidecar setups.
 *
 * The environment is botbox run's own minus what describes another user
 * (HOME, USER, LOGNAME are the target user's) and, when interception is
 * on, plus the CA trust variables every common client reads, and WGETRC:
 * wget (GnuTLS) reads none of them, only its settings file, which the run
 * writes with ca_certificate set (an own WGETRC, or ~/.wgetrc, is not read
 * then: docs/run.md).
 */
#ifndef BB_RUN_USER_H
#define BB_RUN_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BB_RUN_USER_GROUPS_MAX 256
#define BB_RUN_DEFAULT_USER    "nobody"

struct bb_run_user {
    uid_t uid;
    gid_t gid;
    gid_t groups[BB_RUN_USER_GROUPS_MAX];
    size_t ngroups;
    char name[64], home[256];
    char **envp; /* bb_run_user_env */
};

/* The CA trust variables, NULL-terminated. */
extern const char *const bb_run_ca_vars[];

/* Resolves spec (NULL: the default above). Returns 0, or -1 with the
 * reason in why. */
int bb_run_user_resolve(const char *spec, uint32_t proxy_uid, struct bb_run_user *u, char *why,
                        size_t cap);

/* Builds u->envp from environ; ca (NULL: interception off) is the path the
 * CA variables point at, wgetrc the wget settings file naming it. 0 or -1
 * (out of memory). */
int bb_run_user_env(struct bb_run_user *u, const char *ca, const char *wgetrc);

/* Sets NAME=value in u->envp (after bb_run_user_env), replacing an
 * inherited NAME: the placeholders of the config's credentials. 0 or -1. */
int bb_run_user_env_set(struct bb_run_user *u, const char *name, const char *value);

/* A variable botbox run sets itself (HOME, USER, LOGNAME, WGETRC, the CA
 * variables, GIT_CONFIG_*): a credential may not be published under it. */
bool bb_run_user_env_reserved(const char *name);

void bb_run_user_free(struct bb_run_user *u);

#endif

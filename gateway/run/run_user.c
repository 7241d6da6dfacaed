/* CMD's user and environment (see run_user.h). */
#include "gateway/run/run_user.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* npm_config_cafile: npm's own setting wins over NODE_EXTRA_CA_CERTS
 * (an npmrc naming a cafile replaces node's store, extras included).
 * GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: gRPC's C core (grpcio) reads no other
 * variable, and one inherited from the caller would name the wrong roots.
 * AWS_CA_BUNDLE: the AWS SDKs' and CLI's (botocore takes no other). */
const char *const bb_run_ca_vars[] = {
    "SSL_CERT_FILE",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "CARGO_HTTP_CAINFO",
    "DENO_CERT",
    "npm_config_cafile",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "AWS_CA_BUNDLE",
    NULL,
};

/* Variables botbox run sets itself, dropped from the inherited ones. */
static const char *const replaced[] = {"HOME", "USER", "LOGNAME", "WGETRC", "GIT_CONFIG_COUNT",
                                       NULL};

/* With interception, git's HTTP goes out in HTTP/1.1 (docs/run.md, "git
 * and HTTP/2"): libcurl before 8.2 (Debian 12 has 7.88) loses track of a
 * streamed request body when an HTTP/2 window closes under it, which
 * hangs or corrupts git pushes. Added as one more GIT_CONFIG_KEY_<n> after
 * the caller's own; `git -c http.version=HTTP/2` still wins. */
#define GIT_HTTP_KEY   "http.version"
#define GIT_HTTP_VALUE "HTTP/1.1"

static bool numeric(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > UINT32_MAX - 1)
        return false;
    *out = (uint32_t)v;
    return true;
}

static const char *default_user(void)
{
    const char *s = getenv("SUDO_USER");
    return s != NULL && s[0] != '\0' && strcmp(s, "root") != 0 ? s : BB_RUN_DEFAULT_USER;
}

int bb_run_user_resolve(const char *spec, uint32_t proxy_uid, struct bb_run_user *u, char *why,
                        size_t cap)
{
    uint32_t id;
    const char *name = spec != NULL ? spec : default_user();
    struct passwd *pw = numeric(name, &id) ? getpwuid(id) : getpwnam(name);
    memset(u, 0, sizeof(*u));
    if (pw != NULL) {
        u->uid = pw->pw_uid;
        u->gid = pw->pw_gid;
        snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
        snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
        int n = BB_RUN_USER_GROUPS_MAX;
        if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &n) < 0) {
            snprintf(why, cap, "user %s: more than %d groups", name, BB_RUN_USER_GROUPS_MAX);
            return -1;
        }
        u->ngroups = (size_t)n;
    } else if (numeric(name, &id)) { /* a bare uid: its own group, no others */
        u->uid = id;
        u->gid = id;
        snprintf(u->name, sizeof(u->name), "%u", id);
        snprintf(u->home, sizeof(u->home), "/");
    } else {
        snprintf(why, cap, "user %s: no such user", name);
        return -1;
    }
    if (u->uid == 0) {
        snprintf(why, cap,
                 "refusing to run CMD as root (uid 0): it could leave the sandbox; "
                 "name an unprivileged user with --user");
        return -1;
    }
    if (u->uid == proxy_uid) {
        snprintf(why, cap, "refusing to run CMD as proxy_uid %u, the gateway's own user",
                 proxy_uid);
        return -1;
    }
    return 0;
}

static bool listed(const char *entry, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        size_t len = strlen(names[i]);
        if (strncmp(entry, names[i], len) == 0 && entry[len] == '=')
            return true;
    }
    return false;
}

static char *pair(const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 2;
    char *s = malloc(len);
    if (s != NULL)
        snprintf(s, len, "%s=%s", name, value);
    return s;
}

/* The caller's GIT_CONFIG_COUNT (0 when unset or not a count git takes),
 * and the names of the pair botbox adds after theirs. */
static uint32_t git_config_slot(char key[64], char value[64])
{
    uint32_t n = 0;
    const char *s = getenv("GIT_CONFIG_COUNT");
    if (s == NULL || !numeric(s, &n) || n > 1000000)
        n = 0;
    snprintf(key, 64, "GIT_CONFIG_KEY_%u", n);
    snprintf(value, 64, "GIT_CONFIG_VALUE_%u", n);
    return n;
}

static int add_git_http(struct bb_run_user *u, size_t *k, uint32_t n, const char *key,
                        const char *value)
{
    char count[16];
    snprintf(count, sizeof(count), "%u", n + 1);
    if ((u->envp[(*k)++] = pair(key, GIT_HTTP_KEY)) == NULL ||
        (u->envp[(*k)++] = pair(value, GIT_HTTP_VALUE)) == NULL ||
        (u->envp[(*k)++] = pair("GIT_CONFIG_COUNT", count)) == NULL)
        return -1;
    return 0;
}

int bb_run_user_env(struct bb_run_user *u, const char *ca, const char *wgetrc)
{
    size_t n = 0, k = 0;
    while (environ[n] != NULL)
        n++;
    size_t nca = sizeof(bb_run_ca_vars) / sizeof(bb_run_ca_vars[0]) - 1;
    u->envp = calloc(n + nca + 8, sizeof(char *));
    if (u->envp == NULL)
        return -1;
    char gkey[64], gvalue[64];
    uint32_t gn = git_config_slot(gkey, gvalue);
    const char *const git_slot[] = {gkey, gvalue, NULL};
    for (size_t i = 0; i < n; i++)
        if (!listed(environ[i], replaced) && !listed(environ[i], bb_run_ca_vars) &&
            (ca == NULL || !listed(environ[i], git_slot)))
            if ((u->envp[k++] = strdup(environ[i])) == NULL)
                return -1;
    if ((u->envp[k++] = pair("HOME", u->home)) == NULL ||
        (u->envp[k++] = pair("USER", u->name)) == NULL ||
        (u->envp[k++] = pair("LOGNAME", u->name)) == NULL)
        return -1;
    for (size_t i = 0; ca != NULL && i < nca; i++)
        if ((u->envp[k++] = pair(bb_run_ca_vars[i], ca)) == NULL)
            return -1;
    if (ca != NULL && (u->envp[k++] = pair("WGETRC", wgetrc)) == NULL)
        return -1;
    if (ca != NULL && add_git_http(u, &k, gn, gkey, gvalue) != 0)
        return -1;
    if (ca == NULL && getenv("GIT_CONFIG_COUNT") != NULL &&
        (u->envp[k++] = pair("GIT_CONFIG_COUNT", getenv("GIT_CONFIG_COUNT"))) == NULL)
        return -1;
    return 0;
}

int bb_run_user_env_set(struct bb_run_user *u, const char *name, const char *value)
{
    const char *const one[] = {name, NULL};
    size_t n = 0;
    while (u->envp[n] != NULL)
        n++;
    char *p = pair(name, value);
    if (p == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (listed(u->envp[i], one)) {
            free(u->envp[i]);
            u->envp[i] = p;
            return 0;
        }
    char **grown = realloc(u->envp, (n + 2) * sizeof(char *));
    if (grown == NULL) {
        free(p);
        return -1;
    }
    u->envp = grown;
    u->envp[n] = p;
    u->envp[n + 1] = NULL;
    return 0;
}

bool bb_run_user_env_reserved(const char *name)
{
    for (const char *const *l = replaced; *l != NULL; l++)
        if (strcmp(name, *l) == 0)
            return true;
    for (const char *const *l = bb_run_ca_vars; *l != NULL; l++)
        if (strcmp(name, *l) == 0)
            return true;
    return strncmp(name, "GIT_CONFIG_", 11) == 0;
}

void bb_run_user_free(struct bb_run_user *u)
{
    for (size_t i = 0; u->envp != NULL && u->envp[i] != NULL; i++)
        free(u->envp[i]);
    free(u->envp);
    u->envp = NULL;
}

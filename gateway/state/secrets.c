/*
 * Secret loading (see secrets.h). Each referenced name is resolved with
 * realpath() and must land strictly inside the resolved secrets_dir; the
 * file is then opened without following links and read whole.
 */
#include "gateway/state/secrets.h"

#include "common/diag.h"
#include "policy/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct entry {
    const char *name; /* points into the config */
    char *value;      /* NULL when absent */
    size_t len;
};

struct bb_secrets {
    struct entry *e;
    size_t n;
    bool dir_ok;
};

static int add_name(struct bb_secrets *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->e[i].name, name) == 0)
            return 0;
    struct entry *e = realloc(s->e, (s->n + 1) * sizeof(*e));
    if (e == NULL)
        return -1;
    s->e = e;
    s->e[s->n++] = (struct entry){.name = name};
    return 0;
}

/* Reads fd whole (at most BB_SECRET_MAX_BYTES); strips one trailing newline. */
static char *read_value(int fd, size_t size, size_t *len)
{
    char *buf = malloc(size + 1);
    size_t got = 0;
    while (buf != NULL && got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (buf == NULL)
        return NULL;
    if (got >= 1 && buf[got - 1] == '\n') {
        got--;
        if (got >= 1 && buf[got - 1] == '\r')
            got--;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* Visible ASCII, space and tab: what a header value may carry. */
static bool header_safe(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (!(c == '\t' || (c >= 0x20 && c < 0x7f)))
            return false;
    }
    return true;
}

/* Returns false when the file exists but may not be read (so the caller
 * can keep the values it had rather than call the secret missing). */
static bool load_one(struct entry *e, const char *root, const char *dir, struct bb_diag *diag)
{
    char path[PATH_MAX], real[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, e->name);
    if (realpath(path, real) == NULL)
        return errno != EACCES; /* absent: readiness reports it */
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || real[rl] != '/') {
        bb_diag_add(diag, BB_DIAG_WARNING, "secret %s: resolves outside %s; not loaded", e->name,
                    dir);
        return true;
    }
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno != EACCES;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        bb_diag_add(diag, BB_DIAG_WARNING, "secret %s: not a regular file; not loaded", e->name);
    } else if ((size_t)st.st_size > BB_SECRET_MAX_BYTES) {
        bb_diag_add(diag, BB_DIAG_WARNING, "secret %s: larger than %u bytes; not loaded", e->name,
                    BB_SECRET_MAX_BYTES);
    } else {
        e->value = read_value(fd, (size_t)st.st_size, &e->len);
        if (e->value != NULL && !header_safe(e->value, e->len)) {
            /* A CR or LF would let the value inject header lines upstream. */
            bb_diag_add(diag, BB_DIAG_WARNING,
                        "secret %s: contains bytes not allowed in a header value; not loaded",
                        e->name);
            explicit_bzero(e->value, e->len);
            free(e->value);
            e->value = NULL;
        }
    }
    close(fd);
    return true;
}

struct bb_secrets *bb_secrets_load(const struct bb_config *cfg, struct bb_diag *diag)
{
    struct bb_secrets *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < cfg->egress.nrules; i++)
        for (size_t j = 0; j < cfg->egress.rules[i].nrewrites; j++) {
            const char *ref = cfg->egress.rules[i].rewrites[j].secret_ref;
            if (ref != NULL && add_name(s, ref) != 0) {
                bb_secrets_free(s);
                return NULL;
            }
        }
    for (size_t i = 0; i < cfg->credentials.n; i++) {
        const struct bb_credential *c = &cfg->credentials.list[i];
        const char *refs[] = {c->kind != BB_CRED_OAUTH2 ? c->secret_ref : NULL, /* a name */
                              c->secret_key_ref,
                              c->token_ref,
                              c->client_id_ref,
                              c->client_secret_ref,
                              c->refresh_token_ref};
        bool failed = false;
        for (size_t k = 0; k < sizeof(refs) / sizeof(refs[0]) && !failed; k++)
            failed = refs[k] != NULL && add_name(s, refs[k]) != 0;
        if (failed) {
            bb_secrets_free(s);
            return NULL;
        }
    }
    char root[PATH_MAX];
    if (s->n > 0 && realpath(cfg->secrets_dir, root) == NULL) {
        bb_diag_add(diag, BB_DIAG_WARNING, "secrets_dir %s: %s", cfg->secrets_dir, strerror(errno));
        return s;
    }
    /* A directory (or file) this uid may not read is not an empty one: the
     * caller keeps the values it has (botbox run's gateway, for one, reads
     * a root-only secrets_dir at start, before it drops to proxy_uid). */
    if (s->n > 0 && access(root, R_OK | X_OK) != 0) {
        bb_diag_add(diag, BB_DIAG_WARNING, "secrets_dir %s: %s", cfg->secrets_dir, strerror(errno));
        return s;
    }
    bool readable = true;
    for (size_t i = 0; i < s->n; i++)
        readable &= load_one(&s->e[i], root, cfg->secrets_dir, diag);
    s->dir_ok = readable;
    return s;
}

void bb_secrets_free(struct bb_secrets *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (s->e[i].value != NULL) {
            explicit_bzero(s->e[i].value, s->e[i].len);
            free(s->e[i].value);
        }
    free(s->e);
    free(s);
}

const char *bb_secrets_get(const struct bb_secrets *s, const char *name, size_t *len)
{
    for (size_t i = 0; s != NULL && i < s->n; i++)
        if (strcmp(s->e[i].name, name) == 0) {
            *len = s->e[i].len;
            return s->e[i].value;
        }
    return NULL;
}

size_t bb_secrets_missing(const struct bb_secrets *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->e[i].value == NULL;
    return n;
}

bool bb_secrets_dir_ok(const struct bb_secrets *s)
{
    return s->dir_ok;
}

bool bb_secrets_equal(const struct bb_secrets *a, const struct bb_secrets *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct entry *x = &a->e[i], *y = &b->e[i];
        if (strcmp(x->name, y->name) != 0 || (x->value == NULL) != (y->value == NULL))
            return false;
        if (x->value != NULL && (x->len != y->len || memcmp(x->value, y->value, x->len) != 0))
            return false;
    }
    return true;
}

/*
 * Placeholders (see placeholder.h): a map keyed by secret_ref and shape,
 * grown by sync, never shrunk while the process runs (a credential
 * removed and added back by two reloads keeps its value). A map, not a
 * list: a gateway's tenants may hold tens of thousands of credentials.
 */
#include "gateway/cred/placeholder.h"

#include "common/buf.h"
#include "common/strmap.h"
#include "policy/config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct bb_strmap *entries; /* "secret_ref\x1fprefix\x1flength" -> its value */

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* A credential's key in the map: names and prefixes hold no control byte. */
static int key_of(const struct bb_credential *c, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s\x1f%s\x1f%u", c->secret_ref, c->prefix, (unsigned)c->length);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static char *find(const struct bb_credential *c)
{
    char key[1024];
    return entries != NULL && key_of(c, key, sizeof(key)) == 0 ? bb_strmap_get(entries, key) : NULL;
}

/* n random characters of the alphabet, unbiased (bytes of 248 and above,
 * which 62 does not divide, are drawn again). */
static int fill_random(char *out, size_t n)
{
    unsigned char pool[64];
    size_t used = sizeof(pool);
    for (size_t i = 0; i < n;) {
        if (used == sizeof(pool)) {
            if (RAND_bytes(pool, sizeof(pool)) != 1)
                return -1;
            used = 0;
        }
        unsigned char b = pool[used++];
        if (b < 248)
            out[i++] = alphabet[b % 62];
    }
    return 0;
}

static int make(const struct bb_credential *c)
{
    char key[1024];
    if (key_of(c, key, sizeof(key)) != 0 ||
        (entries == NULL && (entries = bb_strmap_new()) == NULL) ||
        bb_strmap_count(entries) == BB_PLACEHOLDERS_MAX)
        return -1;
    size_t plen = strlen(c->prefix);
    char *value = malloc((size_t)c->length + 1);
    if (value == NULL || fill_random(value + plen, c->length - plen) != 0) {
        free(value);
        return -1;
    }
    memcpy(value, c->prefix, plen);
    value[c->length] = '\0';
    if (bb_strmap_put(entries, key, value) != 0) {
        free(value);
        return -1;
    }
    return 0;
}

int bb_placeholders_sync(const struct bb_config *cfg)
{
    for (size_t i = 0; i < cfg->credentials.n; i++)
        if (find(&cfg->credentials.list[i]) == NULL && make(&cfg->credentials.list[i]) != 0)
            return -1;
    return 0;
}

const char *bb_placeholder_get(const struct bb_config *cfg, const char *name, size_t *len)
{
    const struct bb_credential *c = bb_config_credential(cfg, name);
    const char *v = c != NULL ? find(c) : NULL;
    if (v == NULL)
        return NULL;
    *len = c->length;
    return v;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

void bb_placeholder_stand_in(const char *ph, size_t len, char out[BB_STAND_IN_LEN + 1])
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static const char label[] = "botbox aws stand-in:";
    unsigned char in[sizeof(label) + BB_PLACEHOLDER_LEN_MAX], d[SHA512_DIGEST_LENGTH];
    size_t n = len < BB_PLACEHOLDER_LEN_MAX ? len : BB_PLACEHOLDER_LEN_MAX;
    memcpy(in, label, sizeof(label) - 1);
    memcpy(in + sizeof(label) - 1, ph, n);
    SHA512(in, sizeof(label) - 1 + n, d);
    for (size_t i = 0; i < BB_STAND_IN_LEN; i++)
        out[i] = alnum[d[i] % 62]; /* a skew here weakens nothing: it guards nothing */
    out[BB_STAND_IN_LEN] = '\0';
}

int bb_placeholders_write(const struct bb_config *cfg, const char *path)
{
    struct bb_buf b;
    bb_buf_init(&b, 1u << 20);
    int rc = bb_buf_append(&b, "# botbox placeholders: not secrets (docs/security.md)\n", 54);
    for (size_t i = 0; rc == 0 && i < cfg->credentials.n; i++) {
        const struct bb_credential *c = &cfg->credentials.list[i];
        size_t len;
        const char *v = bb_placeholder_get(cfg, c->secret_ref, &len);
        rc = v == NULL ? -1 : bb_buf_printf(&b, "%s=%s\n", c->env, v);
        if (rc == 0 && c->kind == BB_CRED_AWS_SIGV4 && c->secret_env[0] != '\0') {
            char s[BB_STAND_IN_LEN + 1];
            bb_placeholder_stand_in(v, len, s);
            rc = bb_buf_printf(&b, "%s=%s\n", c->secret_env, s);
        }
    }
    char tmp[4096];
    if (rc != 0 ||
        snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        bb_buf_free(&b);
        errno = rc != 0 ? ENOMEM : ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0 && (fchmod(fd, 0644) != 0 || write_all(fd, bb_buf_head(&b), bb_buf_size(&b)) != 0 ||
                    fsync(fd) != 0))
        rc = -1;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = -1;
    if (fd < 0 || rc != 0 || rename(tmp, path) != 0) {
        saved = fd < 0 || rc != 0 ? saved : errno;
        unlink(tmp);
        bb_buf_free(&b);
        errno = saved;
        return -1;
    }
    bb_buf_free(&b);
    return 0;
}

void bb_placeholders_clear(void)
{
    bb_strmap_free(entries, free);
    entries = NULL;
}

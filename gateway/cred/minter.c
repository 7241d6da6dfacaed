/*
 * Token cache, single flight and the fetch threads (see minter.h); one
 * fetch's exchange with the endpoint is token_call.c's.
 */
#include "gateway/cred/minter.h"

#include "common/log.h"
#include "common/strmap.h"
#include "gateway/cred/token_call.h"
#include "gateway/io/loop.h"
#include "policy/config.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

enum wait_state { W_LISTED, W_POSTED, W_ORPHAN };

struct bb_mint_wait {
    struct bb_loop *loop;
    bb_mint_cb cb;
    void *arg;
    enum wait_state state; /* under the minter's lock */
    bool cancelled;        /* POSTED, then cancelled: the posted call only frees it */
    struct bb_token *tok;  /* what the posted call hands over */
    TAILQ_ENTRY(bb_mint_wait) link;
};
TAILQ_HEAD(waitq, bb_mint_wait);

struct entry {
    char name[256];
    char tenant[BB_TENANT_NAME_MAX + 1];         /* whose credential: tenants' names may repeat */
    unsigned char id[SHA256_DIGEST_LENGTH];      /* what its token was made from */
    unsigned char rt_seen[SHA256_DIGEST_LENGTH]; /* the refresh token file it last took */
    struct bb_token *tok;                        /* NULL: none */
    uint64_t renew_at, expires_at;               /* monotonic ms */
    char *refresh;                               /* a rotated refresh token, or NULL */
    size_t refresh_len;
    bool fetching;
    bool rejected; /* its last token was refused upstream */
    struct waitq waiters;
    unsigned nwaiters;
};

struct bb_minter {
    pthread_mutex_t lock;
    pthread_cond_t idle; /* fetches reached 0 */
    unsigned fetches;
    SSL_CTX *ctx;
    char dns[300];
    bool forget_ct;
    bb_mint_report_fn report;
    void *arg;
    /* the entries, each allocated once (fetches and waiters point at
     * them), found by "tenant\x1fname" */
    struct entry **e;
    size_t n, cap;
    struct bb_strmap *index;
};

static uint64_t mono_ms(void)
{
    return bb_token_now_ms();
}

static void wipe_free(char *s, size_t n)
{
    if (s != NULL)
        OPENSSL_cleanse(s, n);
    free(s);
}

void bb_token_put(struct bb_token *t)
{
    if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    OPENSSL_cleanse(t->s, t->len);
    free(t);
}

static struct bb_token *token_ref(struct bb_token *t)
{
    atomic_fetch_add(&t->refs, 1);
    return t;
}

struct bb_minter *bb_minter_new(SSL_CTX *ctx, const char *dns, bool forget_ct,
                                bb_mint_report_fn report, void *arg)
{
    struct bb_minter *m = calloc(1, sizeof(*m));
    if (m == NULL || (m->index = bb_strmap_new()) == NULL) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->idle, NULL);
    SSL_CTX_up_ref(ctx);
    m->ctx = ctx;
    snprintf(m->dns, sizeof(m->dns), "%s", dns != NULL ? dns : "");
    m->forget_ct = forget_ct;
    m->report = report;
    m->arg = arg;
    return m;
}

void bb_minter_free(struct bb_minter *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    while (m->fetches > 0)
        pthread_cond_wait(&m->idle, &m->lock);
    pthread_mutex_unlock(&m->lock);
    for (size_t i = 0; i < m->n; i++) {
        bb_token_put(m->e[i]->tok);
        wipe_free(m->e[i]->refresh, m->e[i]->refresh_len);
        free(m->e[i]);
    }
    free(m->e);
    bb_strmap_free(m->index, NULL);
    SSL_CTX_free(m->ctx);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->idle);
    free(m);
}

/* ---- the table ---- */

static void hash_part(EVP_MD_CTX *h, const char *s, size_t n)
{
    uint64_t len = s != NULL ? n : UINT64_MAX;
    EVP_DigestUpdate(h, &len, sizeof(len));
    if (s != NULL)
        EVP_DigestUpdate(h, s, n);
}

static void digest(const char *s, size_t n, unsigned char out[SHA256_DIGEST_LENGTH])
{
    SHA256((const unsigned char *)(s != NULL ? s : ""), s != NULL ? n : 0, out);
}

/* What a credential's token is made from, but the refresh token (which
 * rotates). All zero when memory ran out (the entry is then reset on
 * every change of that, which costs a fetch, never a wrong token). */
static void source_id(const struct bb_mint_src *src, unsigned char out[SHA256_DIGEST_LENGTH])
{
    const struct bb_credential *c = src->cred;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    memset(out, 0, SHA256_DIGEST_LENGTH);
    if (h == NULL || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h);
        return;
    }
    hash_part(h, c->token_url, strlen(c->token_url));
    hash_part(h, c->scope, strlen(c->scope));
    hash_part(h, c->audience, strlen(c->audience));
    hash_part(h, (const char *)&c->grant, sizeof(c->grant));
    hash_part(h, (const char *)&c->client_auth, sizeof(c->client_auth));
    hash_part(h, src->sec.client_id, src->sec.client_id_len);
    hash_part(h, src->sec.client_secret, src->sec.client_secret_len);
    EVP_DigestFinal_ex(h, out, NULL);
    EVP_MD_CTX_free(h); /* which cleanses it */
}

static void forget_token(struct entry *e)
{
    bb_token_put(e->tok);
    e->tok = NULL;
}

/* A new entry under key, or NULL (the table full, or no memory). */
static struct entry *new_entry(struct bb_minter *m, const char *key)
{
    if (m->n == BB_MINT_ENTRIES)
        return NULL;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct entry **grown = realloc(m->e, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        m->e = grown;
        m->cap = cap;
    }
    struct entry *e = calloc(1, sizeof(*e));
    if (e == NULL || bb_strmap_put(m->index, key, e) != 0) {
        free(e);
        return NULL;
    }
    m->e[m->n++] = e;
    return e;
}

/* The entry for src (made, or reset when its source changed), or NULL
 * when the table is full. Under the lock. */
static struct entry *entry_for(struct bb_minter *m, const struct bb_mint_src *src)
{
    unsigned char id[SHA256_DIGEST_LENGTH], rt[SHA256_DIGEST_LENGTH];
    source_id(src, id);
    digest(src->sec.refresh_token, src->sec.refresh_token_len, rt);
    char key[sizeof(((struct entry *)0)->name) + BB_TENANT_NAME_MAX + 2];
    snprintf(key, sizeof(key), "%s\x1f%s", src->tenant ? src->tenant : "", src->cred->secret_ref);
    struct entry *e = bb_strmap_get(m->index, key);
    if (e == NULL) {
        e = new_entry(m, key);
        if (e == NULL)
            return NULL;
        snprintf(e->name, sizeof(e->name), "%s", src->cred->secret_ref);
        snprintf(e->tenant, sizeof(e->tenant), "%s", src->tenant ? src->tenant : "");
        TAILQ_INIT(&e->waiters);
        memcpy(e->id, id, sizeof(id));
        memcpy(e->rt_seen, rt, sizeof(rt));
    }
    if (memcmp(e->id, id, sizeof(id)) != 0) { /* other client, scopes or endpoint */
        forget_token(e);
        memcpy(e->id, id, sizeof(id));
    }
    if (memcmp(e->rt_seen, rt, sizeof(rt)) != 0) { /* the operator's new refresh token */
        wipe_free(e->refresh, e->refresh_len);
        e->refresh = NULL;
        memcpy(e->rt_seen, rt, sizeof(rt));
    }
    return e;
}

static int start_fetch(struct bb_minter *m, struct entry *e, const struct bb_mint_src *src,
                       const char *trigger);

int bb_minter_get(struct bb_minter *m, const struct bb_mint_src *src, struct bb_loop *loop,
                  bb_mint_cb cb, void *arg, struct bb_token **out, struct bb_mint_wait **w)
{
    uint64_t now = mono_ms();
    int rc = -1;
    pthread_mutex_lock(&m->lock);
    struct entry *e = entry_for(m, src);
    if (e != NULL && e->tok != NULL && now < e->expires_at) {
        *out = token_ref(e->tok);
        if (now >= e->renew_at && !e->fetching)
            start_fetch(m, e, src, "renewal"); /* the token in hand still works if this fails */
        rc = 1;
    } else if (e != NULL && e->nwaiters < BB_MINT_WAITERS) {
        struct bb_mint_wait *x = calloc(1, sizeof(*x));
        const char *why = e->tok != NULL ? "expiry" : e->rejected ? "rejected" : "first";
        bool fetching = e->fetching || start_fetch(m, e, src, why) == 0;
        if (x != NULL && fetching) {
            *x = (struct bb_mint_wait){.loop = loop, .cb = cb, .arg = arg, .state = W_LISTED};
            TAILQ_INSERT_TAIL(&e->waiters, x, link);
            e->nwaiters++;
            *w = x;
            rc = 0;
        } else {
            free(x);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Only the waiter lists point at waits: found by a walk (cancels are rare). */
void bb_minter_cancel(struct bb_minter *m, struct bb_mint_wait *w)
{
    pthread_mutex_lock(&m->lock);
    if (w->state == W_LISTED) {
        for (size_t i = 0; i < m->n; i++) {
            struct bb_mint_wait *x;
            TAILQ_FOREACH(x, &m->e[i]->waiters, link)
            if (x == w) {
                TAILQ_REMOVE(&m->e[i]->waiters, w, link);
                m->e[i]->nwaiters--;
                break;
            }
        }
        free(w);
    } else if (w->state == W_ORPHAN) {
        bb_token_put(w->tok);
        free(w);
    } else {
        w->cancelled = true; /* the posted call frees it */
    }
    pthread_mutex_unlock(&m->lock);
}

void bb_minter_reject(struct bb_minter *m, const struct bb_credential *cred,
                      const struct bb_token *t)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++) /* the token first: one pointer is one entry's */
        if (m->e[i]->tok == t && strcmp(m->e[i]->name, cred->secret_ref) == 0) {
            forget_token(m->e[i]);
            m->e[i]->rejected = true;
        }
    pthread_mutex_unlock(&m->lock);
}

/* ---- answering the waiters ---- */

static void deliver(struct bb_loop *l, void *arg)
{
    (void)l;
    struct bb_mint_wait *w = arg;
    if (!w->cancelled)
        w->cb(w->arg, w->tok);
    else
        bb_token_put(w->tok);
    free(w);
}

/* Under the lock: every waiter gets t (a reference each) on its loop. */
static void wake_all(struct entry *e, struct bb_token *t)
{
    struct bb_mint_wait *w;
    while ((w = TAILQ_FIRST(&e->waiters)) != NULL) {
        TAILQ_REMOVE(&e->waiters, w, link);
        e->nwaiters--;
        w->tok = t != NULL ? token_ref(t) : NULL;
        w->state = W_POSTED;
        if (bb_loop_post(w->loop, deliver, w) != 0)
            w->state = W_ORPHAN; /* its request times out and cancels: freed there */
    }
}

/* ---- a fetch ---- */

struct fetch {
    struct bb_minter *m;
    struct entry *e;
    char name[256], trigger[16], grant[24];
    char tenant[BB_TENANT_NAME_MAX + 1];
    uint32_t refresh_before; /* seconds */
    char endpoint_error[BB_OAUTH_ERROR_MAX + 1];
    char *req; /* the request, secrets and all: wiped */
    size_t req_len;
    char *path; /* secrets_dir/refresh_token_ref, for a rotated one; NULL: not written */
    uint64_t t0;
    struct bb_mint_report rep;
    struct bb_token_call call; /* the exchange: its request is req */
};

static void *fetch_main(void *arg);

/* The request and what the thread needs, copied (the snapshot may go). */
static struct fetch *fetch_new(struct bb_minter *m, struct entry *e, const struct bb_mint_src *src,
                               const char *trigger)
{
    const struct bb_credential *c = src->cred;
    struct fetch *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    struct bb_oauth_secrets sec = src->sec;
    if (e->refresh != NULL) { /* the rotated one */
        sec.refresh_token = e->refresh;
        sec.refresh_token_len = e->refresh_len;
    }
    struct bb_buf b;
    bb_buf_init(&b, BB_OAUTH_REQUEST_MAX);
    if (bb_oauth_request(&b, c, &sec) != 0 || (f->req = malloc(bb_buf_size(&b))) == NULL) {
        if (b.data != NULL)
            OPENSSL_cleanse(b.data, b.cap);
        bb_buf_free(&b);
        free(f);
        return NULL;
    }
    f->req_len = bb_buf_size(&b);
    memcpy(f->req, bb_buf_head(&b), f->req_len);
    OPENSSL_cleanse(b.data, b.cap);
    bb_buf_free(&b);
    f->m = m;
    f->e = e;
    snprintf(f->name, sizeof(f->name), "%s", c->secret_ref);
    snprintf(f->tenant, sizeof(f->tenant), "%s", e->tenant);
    snprintf(f->trigger, sizeof(f->trigger), "%s", trigger);
    snprintf(f->grant, sizeof(f->grant), "%s",
             c->grant == BB_GRANT_REFRESH_TOKEN ? "refresh_token" : "client_credentials");
    f->call = (struct bb_token_call){.ctx = m->ctx,
                                     .dns = m->dns,
                                     .forget_ct = m->forget_ct,
                                     .port = c->token_port,
                                     .req = f->req,
                                     .req_len = f->req_len};
    snprintf(f->call.host, sizeof(f->call.host), "%s", c->token_host);
    f->refresh_before = c->refresh_before;
    if (c->refresh_token_ref != NULL && src->secrets_dir != NULL && src->secrets_dir[0] &&
        asprintf(&f->path, "%s/%s", src->secrets_dir, c->refresh_token_ref) < 0)
        f->path = NULL;
    return f;
}

static void fetch_free(struct fetch *f)
{
    wipe_free(f->req, f->req_len);
    OPENSSL_cleanse(f->call.body, sizeof(f->call.body));
    free(f->path);
    free(f);
}

/* Under the lock. 0, or -1 (no memory, no thread): nothing started. */
static int start_fetch(struct bb_minter *m, struct entry *e, const struct bb_mint_src *src,
                       const char *trigger)
{
    struct fetch *f = fetch_new(m, e, src, trigger);
    pthread_t t;
    pthread_attr_t attr;
    if (f == NULL)
        return -1;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, fetch_main, f);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        fetch_free(f);
        return -1;
    }
    e->fetching = true;
    m->fetches++;
    return 0;
}

/* -- the result -- */

static struct bb_token *token_new(const struct bb_oauth_answer *a)
{
    struct bb_token *t = malloc(sizeof(*t) + a->access_len + 1);
    if (t == NULL)
        return NULL;
    atomic_init(&t->refs, 1);
    t->len = a->access_len;
    memcpy(t->s, a->access_token, a->access_len + 1);
    return t;
}

/* Under the lock: the entry takes the answer. */
static void store(struct fetch *f, struct bb_oauth_answer *a, struct bb_token *t)
{
    struct entry *e = f->e;
    uint64_t now = mono_ms(), life = a->expires_in * 1000u, ahead = f->refresh_before * 1000ull;
    forget_token(e);
    e->tok = token_ref(t);
    e->rejected = false;
    e->expires_at = now + life;
    /* renewed refresh_before ahead, but not before half its life (a token
     * shorter-lived than refresh_before is not fetched on every use) */
    e->renew_at = now + (ahead < life / 2 ? life - ahead : life / 2);
    if (a->refresh_token != NULL) {
        wipe_free(e->refresh, e->refresh_len);
        e->refresh = a->refresh_token; /* taken over */
        e->refresh_len = a->refresh_len;
        a->refresh_token = NULL;
        digest(e->refresh, e->refresh_len, e->rt_seen); /* its write-back is no news */
    }
}

/* The answer's status and body: NULL when a token came. */
static const char *judge(struct fetch *f, struct bb_oauth_answer *a)
{
    const char *why;
    int rc = bb_oauth_parse(f->call.body, f->call.body_len, a, &why);
    snprintf(f->endpoint_error, sizeof(f->endpoint_error), "%s", a->error);
    if (f->rep.status == 200)
        return rc == 0 ? NULL : why;
    bb_oauth_answer_wipe(a);
    return "token_endpoint_status";
}

/* A rotated refresh token: written back when it can be. */
static void keep_rotated(struct fetch *f, const struct bb_oauth_answer *a)
{
    f->rep.rotated = true;
    bool kept = f->path != NULL && bb_token_write_back(f->path, a->refresh_token, a->refresh_len);
    f->rep.refresh_kept = kept ? "written" : "memory";
    if (!kept)
        bb_log_warnx("credential %s: the token endpoint rotated its refresh token: kept in "
                     "memory only (its file in secrets_dir could not be written)",
                     f->name);
}

static void report(struct fetch *f, const char *why, uint64_t expires_in)
{
    struct bb_mint_report *r = &f->rep;
    r->credential = f->name;
    r->tenant = f->tenant[0] ? f->tenant : NULL;
    r->grant = f->grant;
    r->trigger = f->trigger;
    r->decision = why == NULL ? "allow" : "error";
    r->reason = why == NULL ? "token_fetched" : why;
    const char *h = f->call.host;
    bool v6 = strchr(h, ':') != NULL;
    snprintf(r->dst, sizeof(r->dst), "%s%s%s:%u", v6 ? "[" : "", h, v6 ? "]" : "", f->call.port);
    r->endpoint_error = f->endpoint_error[0] ? f->endpoint_error : NULL;
    r->expires_in = expires_in;
    r->duration_ms = mono_ms() - f->t0;
    if (f->m->report != NULL)
        f->m->report(f->m->arg, r);
}

static void *fetch_main(void *arg)
{
    struct fetch *f = arg;
    struct bb_minter *m = f->m;
    f->t0 = mono_ms();
    f->call.deadline = f->t0 + BB_MINT_TIMEOUT_MS;
    struct bb_oauth_answer a = {0};
    const char *why = bb_token_call(&f->call);
    f->rep.status = f->call.status;
    if (why == NULL)
        why = judge(f, &a);
    struct bb_token *t = why == NULL ? token_new(&a) : NULL;
    if (why == NULL && t == NULL)
        why = "out_of_memory";
    if (t != NULL && a.refresh_token != NULL)
        keep_rotated(f, &a);
    uint64_t expires_in = t != NULL ? a.expires_in : 0;
    pthread_mutex_lock(&m->lock);
    if (t != NULL)
        store(f, &a, t);
    f->e->fetching = false;
    wake_all(f->e, t);
    pthread_mutex_unlock(&m->lock);
    bb_token_put(t);
    bb_oauth_answer_wipe(&a);
    report(f, why, expires_in);
    fetch_free(f);
    pthread_mutex_lock(&m->lock); /* the last touch of m: bb_minter_free may go on */
    if (--m->fetches == 0)
        pthread_cond_broadcast(&m->idle);
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

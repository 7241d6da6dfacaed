/*
 * The credential table and request plans (see creds.h).
 */
#include "gateway/cred/creds.h"

#include "common/log.h"
#include "gateway/cred/placeholder.h"
#include "policy/config.h"
#include "policy/host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { FORM_RAW, FORM_PCT, FORM_JSON, NFORMS };

/* A secret the config names. */
struct sec {
    const char *name;
    const struct bb_credential *cred; /* NULL: only header_rewrites use it */
    const char *form[NFORMS];         /* NULL: missing; PCT, JSON: NULL when equal to RAW */
    size_t form_len[NFORMS];
    const char *ph; /* its placeholder, or NULL */
    size_t ph_len;
    size_t owner;    /* an AWS session token's: its credential's index; else SIZE_MAX */
    bool searchable; /* short enough to look for in answers */
    /* what each form becomes where the length must stay (an answer with
     * a Content-Length too long to hold): the placeholder when it is as
     * long, else a mask of that length (same_mask) */
    char *same[NFORMS];
};

struct rule_data {
    /* the secrets its rewrites inject (indexes into secs). The whole
     * injected value needs no pattern of its own: it holds the secret,
     * whose every occurrence is replaced, so it reads as the same value
     * with the placeholder or mask (its other parts are the config's) */
    size_t *secs;
    size_t nsecs;
    const struct bb_cred_plan *plan; /* shared: an exact host's allow */
};

struct bb_creds {
    const struct bb_config *cfg;
    bb_cred_secret_fn get; /* an AWS credential's other secrets */
    const void *arg;
    struct sec *secs;
    size_t nsecs; /* the first cfg->credentials.n are the credentials, in order */
    struct rule_data *rules;
    /* shared: a request that is given nothing (no bound credential, no
     * rewrite with a secret) only must not carry a placeholder */
    const struct bb_cred_plan *plain;
};

/* ---- forms of a secret ---- */

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static char *percent_form(const char *v, size_t n, size_t *len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = malloc(3 * n + 1), *w = o;
    for (size_t i = 0; o != NULL && i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (is_unreserved(c)) {
            *w++ = (char)c;
        } else {
            *w++ = '%';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        }
    }
    if (o != NULL)
        *len = (size_t)(w - o);
    return o;
}

/* As a JSON string's content (a secret holds visible ASCII, space, tab). */
static char *json_form(const char *v, size_t n, size_t *len)
{
    char *o = malloc(2 * n + 1), *w = o;
    for (size_t i = 0; o != NULL && i < n; i++) {
        if (v[i] == '"' || v[i] == '\\')
            *w++ = '\\';
        if (v[i] == '\t') {
            *w++ = '\\';
            *w++ = 't';
        } else {
            *w++ = v[i];
        }
    }
    if (o != NULL)
        *len = (size_t)(w - o);
    return o;
}

/* n bytes that say what they stand for: "[REDACTED***]", or "***" when
 * shorter than the mask. */
static char *same_mask(size_t n)
{
    static const char mask[] = BB_REDACT_MASK;
    size_t m = sizeof(mask) - 1;
    char *o = malloc(n + 1);
    if (o == NULL)
        return NULL;
    memset(o, '*', n);
    if (n >= m) {
        memcpy(o, mask, m - 1);
        o[n - 1] = ']';
    }
    o[n] = '\0';
    return o;
}

static int make_same(struct sec *s)
{
    for (int f = 0; f < NFORMS; f++) {
        if (s->form[f] == NULL)
            continue;
        s->same[f] = s->ph != NULL && s->ph_len == s->form_len[f] ? strdup(s->ph)
                                                                  : same_mask(s->form_len[f]);
        if (s->same[f] == NULL)
            return -1;
    }
    return 0;
}

/* The PCT and JSON forms, kept only when they differ from the value. */
static int make_forms(struct sec *s)
{
    char *(*make[NFORMS])(const char *, size_t, size_t *) = {NULL, percent_form, json_form};
    for (int f = FORM_PCT; f < NFORMS; f++) {
        size_t n = 0;
        char *o = make[f](s->form[FORM_RAW], s->form_len[FORM_RAW], &n);
        if (o == NULL)
            return -1;
        if (n == s->form_len[FORM_RAW] && memcmp(o, s->form[FORM_RAW], n) == 0) {
            free(o);
            continue;
        }
        s->form[f] = o;
        s->form_len[f] = n;
    }
    return 0;
}

/* ---- the table ---- */

static size_t sec_index(const struct bb_creds *c, const char *name)
{
    for (size_t i = 0; i < c->nsecs; i++)
        if (strcmp(c->secs[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

static int add_sec(struct bb_creds *c, const char *name, const struct bb_credential *cred,
                   bb_cred_secret_fn get, const void *arg)
{
    struct sec *s = &c->secs[c->nsecs++];
    *s = (struct sec){.name = name, .cred = cred, .owner = SIZE_MAX};
    s->form[FORM_RAW] = get(arg, name, &s->form_len[FORM_RAW]);
    if (cred != NULL)
        s->ph = bb_placeholder_get(c->cfg, name, &s->ph_len);
    if (s->form[FORM_RAW] == NULL)
        return 0;
    size_t n = s->form_len[FORM_RAW];
    s->searchable = n > 0 && 3 * n <= BB_SUBST_PATTERN_MAX;
    if (!s->searchable)
        bb_log_warnx("secret %s: longer than %u bytes in a URL: answers are not searched for it",
                     name, BB_SUBST_PATTERN_MAX / 3);
    else if (n < BB_REDACT_SHORT_LEN && c->cfg->redaction.enabled)
        bb_log_warnx("secret %s: shorter than %d bytes: redacting it may alter answers", name,
                     BB_REDACT_SHORT_LEN);
    return make_forms(s) == 0 && make_same(s) == 0 ? 0 : -1;
}

static int add_rule_secs(struct bb_creds *c, size_t ri)
{
    const struct bb_rule *r = &c->cfg->egress.rules[ri];
    struct rule_data *rd = &c->rules[ri];
    if (r->action != BB_ACTION_ALLOW || r->nrewrites == 0)
        return 0;
    if ((rd->secs = calloc(r->nrewrites, sizeof(*rd->secs))) == NULL)
        return -1;
    for (size_t i = 0; i < r->nrewrites; i++) {
        const struct bb_rewrite *rw = &r->rewrites[i];
        size_t si = rw->secret_ref != NULL ? sec_index(c, rw->secret_ref) : SIZE_MAX;
        if (si == SIZE_MAX || c->secs[si].form[FORM_RAW] == NULL)
            continue;
        rd->secs[rd->nsecs++] = si;
    }
    return 0;
}

static bool has_secret_rewrites(const struct bb_config *cfg)
{
    for (size_t i = 0; i < cfg->egress.nrules; i++)
        for (size_t j = 0; j < cfg->egress.rules[i].nrewrites; j++)
            if (cfg->egress.rules[i].rewrites[j].secret_ref != NULL)
                return true;
    return false;
}

static const struct bb_cred_plan *build_plan(const struct bb_creds *c, const struct bb_rule *r,
                                             uint64_t bound, bool allow);
static void free_plan(struct bb_cred_plan *p);
static uint64_t bound_mask(const struct bb_config *cfg, const struct bb_host *h);

static bool exact_host(const struct bb_rule *r)
{
    return r->host.kind != BB_HOST_WILDCARD;
}

static int fill(struct bb_creds *c, bb_cred_secret_fn get, const void *arg)
{
    const struct bb_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->credentials.n; i++)
        if (add_sec(c, cfg->credentials.list[i].secret_ref, &cfg->credentials.list[i], get, arg) !=
            0)
            return -1;
    for (size_t i = 0; i < cfg->credentials.n; i++) { /* what an answer must not show */
        const char *tok = cfg->credentials.list[i].token_ref;
        if (cfg->credentials.list[i].kind == BB_CRED_AWS_SIGV4 && tok != NULL) {
            if (add_sec(c, tok, NULL, get, arg) != 0)
                return -1;
            c->secs[c->nsecs - 1].owner = i;
        }
    }
    for (size_t i = 0; i < cfg->egress.nrules; i++)
        for (size_t j = 0; j < cfg->egress.rules[i].nrewrites; j++) {
            const char *ref = cfg->egress.rules[i].rewrites[j].secret_ref;
            if (ref != NULL && sec_index(c, ref) == SIZE_MAX &&
                add_sec(c, ref, NULL, get, arg) != 0)
                return -1;
        }
    for (size_t i = 0; i < cfg->egress.nrules; i++)
        if (add_rule_secs(c, i) != 0)
            return -1;
    for (size_t i = 0; i < cfg->egress.nrules; i++) {
        const struct bb_rule *r = &cfg->egress.rules[i];
        if (r->action != BB_ACTION_ALLOW || !exact_host(r))
            continue;
        uint64_t bound = bound_mask(cfg, &r->host);
        if (bound == 0 && c->rules[i].nsecs == 0)
            continue; /* the plain plan */
        c->rules[i].plan = build_plan(c, r, bound, true);
        if (c->rules[i].plan == NULL && errno == ENOMEM)
            return -1;
    }
    c->plain = build_plan(c, NULL, 0, true); /* nothing bound: a body refuses them all */
    return c->plain == NULL && errno == ENOMEM ? -1 : 0;
}

struct bb_creds *bb_creds_new(const struct bb_config *cfg, bb_cred_secret_fn get, const void *arg,
                              bool *oom)
{
    if (cfg->credentials.n == 0 && !has_secret_rewrites(cfg))
        return NULL;
    size_t refs = 2 * cfg->credentials.n; /* and a session token each */
    for (size_t i = 0; i < cfg->egress.nrules; i++)
        refs += cfg->egress.rules[i].nrewrites;
    struct bb_creds *c = calloc(1, sizeof(*c));
    if (c != NULL) {
        c->cfg = cfg;
        c->get = get;
        c->arg = arg;
        c->secs = calloc(refs, sizeof(*c->secs));
        c->rules = calloc(cfg->egress.nrules + 1, sizeof(*c->rules));
    }
    errno = 0;
    if (c == NULL || c->secs == NULL || c->rules == NULL || fill(c, get, arg) != 0) {
        bb_creds_free(c);
        *oom = true;
        return NULL;
    }
    return c;
}

void bb_creds_free(struct bb_creds *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; c->rules != NULL && i < c->cfg->egress.nrules; i++) {
        free(c->rules[i].secs);
        free_plan((struct bb_cred_plan *)c->rules[i].plan);
    }
    free_plan((struct bb_cred_plan *)c->plain);
    for (size_t i = 0; c->secs != NULL && i < c->nsecs; i++) {
        for (int f = FORM_PCT; f < NFORMS; f++)
            if (c->secs[i].form[f] != NULL) {
                explicit_bzero((char *)c->secs[i].form[f], c->secs[i].form_len[f]);
                free((char *)c->secs[i].form[f]);
            }
        for (int f = 0; f < NFORMS; f++)
            free(c->secs[i].same[f]);
    }
    free(c->secs);
    free(c->rules);
    free(c);
}

int bb_creds_aws(const struct bb_creds *c, int index, struct bb_cred_aws *out)
{
    const struct sec *s = &c->secs[index];
    const struct bb_credential *cr = s->cred;
    *out = (struct bb_cred_aws){.cred = cr,
                                .akid = s->form[FORM_RAW],
                                .akid_len = s->form_len[FORM_RAW],
                                .ph = s->ph,
                                .ph_len = s->ph_len};
    out->key = c->get(c->arg, cr->secret_key_ref, &out->key_len);
    if (cr->token_ref != NULL)
        out->token = c->get(c->arg, cr->token_ref, &out->token_len);
    bool ok = out->akid != NULL && out->key != NULL && out->ph != NULL &&
              (cr->token_ref == NULL || out->token != NULL);
    return ok ? 0 : -1;
}

int bb_creds_oauth(const struct bb_creds *c, int index, struct bb_cred_oauth *out)
{
    const struct sec *s = &c->secs[index];
    const struct bb_credential *cr = s->cred;
    struct bb_oauth_secrets *k = &out->sec;
    *out = (struct bb_cred_oauth){.cred = cr, .ph = s->ph, .ph_len = s->ph_len};
    if (cr->client_id_ref != NULL)
        k->client_id = c->get(c->arg, cr->client_id_ref, &k->client_id_len);
    if (cr->client_secret_ref != NULL)
        k->client_secret = c->get(c->arg, cr->client_secret_ref, &k->client_secret_len);
    if (cr->refresh_token_ref != NULL)
        k->refresh_token = c->get(c->arg, cr->refresh_token_ref, &k->refresh_token_len);
    bool ok = (cr->client_id_ref == NULL || k->client_id != NULL) &&
              (cr->client_secret_ref == NULL || k->client_secret != NULL) &&
              (cr->refresh_token_ref == NULL || k->refresh_token != NULL) && s->ph != NULL;
    return ok ? 0 : -1;
}

const char *bb_creds_name(const struct bb_creds *c, int index)
{
    return index >= 0 && (size_t)index < c->nsecs ? c->secs[index].name : "?";
}

/* ---- plans ---- */

/* A plan and its patterns in one allocation. */
struct plan_mem {
    struct bb_cred_plan plan;
    const char *names[BB_SUBST_TAGS];
    size_t n, cap;
    struct bb_subst_pat pats[];
};

static void add(struct plan_mem *m, const char *from, size_t from_len, const char *to,
                size_t to_len, int tag, bool refuse)
{
    if (m->n == m->cap || from_len == 0 || from_len > BB_SUBST_PATTERN_MAX)
        return;
    m->pats[m->n++] = (struct bb_subst_pat){.from = from,
                                            .from_len = from_len,
                                            .to = to,
                                            .to_len = to_len,
                                            .tag = (uint8_t)tag,
                                            .refuse = refuse};
}

static bool bound_to(const struct bb_credential *cr, const struct bb_host *h)
{
    for (size_t k = 0; k < cr->nhosts; k++)
        if (bb_host_covers(&cr->hosts[k], h))
            return true;
    return false;
}

static uint64_t bound_mask(const struct bb_config *cfg, const struct bb_host *h)
{
    uint64_t bound = 0;
    for (size_t i = 0; i < cfg->credentials.n; i++)
        if (bound_to(&cfg->credentials.list[i], h))
            bound |= 1ull << i;
    return bound;
}

/* The patterns added since `from` become set. */
static void close_set(struct plan_mem *m, size_t from, struct bb_subst_set *set)
{
    if (bb_subst_set_init(set, m->pats + from, m->n - from) != 0)
        memset(set, 0, sizeof(*set)); /* cannot happen: add() checked every pattern */
}

/* The placeholders of the credentials not bound here: each refuses. */
static void add_unbound(const struct bb_creds *c, struct plan_mem *m)
{
    for (size_t i = 0; i < c->cfg->credentials.n; i++)
        if (!(m->plan.bound >> i & 1) && c->secs[i].ph != NULL)
            add(m, c->secs[i].ph, c->secs[i].ph_len, NULL, 0, (int)i, true);
}

static void unbound_set(const struct bb_creds *c, struct plan_mem *m)
{
    size_t from = m->n;
    add_unbound(c, m);
    close_set(m, from, &m->plan.unbound);
}

/* Bound placeholders where `where` lets them be replaced, by the form.
 * A body's set refuses the others too (a head is checked for them whole,
 * before anything is sent: misused), unless the policy only audits. */
static void subst_set(const struct bb_creds *c, struct plan_mem *m, unsigned where, int form,
                      struct bb_subst_set *set)
{
    size_t from = m->n;
    if (where == BB_SUBST_IN_BODY && c->cfg->egress.enforce)
        add_unbound(c, m);
    for (size_t i = 0; i < c->cfg->credentials.n; i++) {
        const struct sec *s = &c->secs[i];
        if (!(m->plan.bound >> i & 1) || s->ph == NULL || !(s->cred->substitute_in & where))
            continue;
        int f = s->form[form] != NULL ? form : FORM_RAW;
        add(m, s->ph, s->ph_len, s->form[f], s->form_len[f], (int)i, s->form[FORM_RAW] == NULL);
    }
    close_set(m, from, set);
}

static int name_tag(struct plan_mem *m, const char *name)
{
    for (size_t t = 0; t < m->plan.nnames; t++)
        if (m->names[t] == name)
            return (int)t;
    if (m->plan.nnames == BB_SUBST_TAGS)
        return BB_SUBST_TAGS - 1; /* the last name stands for the rest */
    m->names[m->plan.nnames] = name;
    return (int)m->plan.nnames++;
}

/* s in each of its forms, by its placeholder or the mask; same: by what
 * keeps the length. */
static void redact_sec(struct plan_mem *m, const struct sec *s, bool same)
{
    if (s->form[FORM_RAW] == NULL || !s->searchable)
        return;
    int tag = name_tag(m, s->name);
    const char *to = s->ph ? s->ph : BB_REDACT_MASK;
    size_t to_len = s->ph ? s->ph_len : strlen(BB_REDACT_MASK);
    for (int f = 0; f < NFORMS; f++)
        if (s->form[f] != NULL)
            add(m, s->form[f], s->form_len[f], same ? s->same[f] : to,
                same ? s->form_len[f] : to_len, tag, false);
}

/* The secrets the request is given: its rule's, and the bound
 * credentials' (each once). */
static void resp_set(const struct bb_creds *c, struct plan_mem *m, const struct bb_rule *r,
                     bool same, struct bb_subst_set *set)
{
    size_t from = m->n;
    const struct rule_data *rd = NULL;
    if (r != NULL && r >= c->cfg->egress.rules && r < c->cfg->egress.rules + c->cfg->egress.nrules)
        rd = &c->rules[r - c->cfg->egress.rules];
    for (size_t i = 0; i < c->nsecs; i++) {
        const struct sec *s = &c->secs[i];
        bool given = i < c->cfg->credentials.n
                         ? (m->plan.bound >> i & 1) != 0
                         : s->owner != SIZE_MAX && (m->plan.bound >> s->owner & 1);
        for (size_t k = 0; !given && rd != NULL && k < rd->nsecs; k++)
            given = rd->secs[k] == i;
        if (given)
            redact_sec(m, &c->secs[i], same);
    }
    close_set(m, from, set);
}

static bool empty(const struct bb_cred_plan *p)
{
    size_t n = p->unbound.n + p->hdr.n + p->path.n + p->query.n + p->resp.n + (p->aws >= 0) +
               (p->oauth >= 0);
    for (int k = 0; k < 3; k++)
        n += p->body[k].n;
    return n == 0;
}

/* errno ENOMEM with NULL when memory ran out; NULL alone: nothing to do. */
static const struct bb_cred_plan *build_plan(const struct bb_creds *c, const struct bb_rule *r,
                                             uint64_t bound, bool allow)
{
    const struct bb_config *cfg = c->cfg;
    size_t cap = cfg->credentials.n * 10 + 2 * (c->nsecs * NFORMS + (r != NULL ? r->nrewrites : 0));
    struct plan_mem *m = calloc(1, sizeof(*m) + cap * sizeof(m->pats[0]));
    if (m == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    m->cap = cap;
    m->plan.names = m->names;
    m->plan.bound = bound;
    m->plan.aws = m->plan.oauth = -1;
    for (size_t i = 0; allow && i < cfg->credentials.n; i++) {
        enum bb_cred_kind k = cfg->credentials.list[i].kind;
        if ((bound >> i & 1) && k == BB_CRED_AWS_SIGV4 && m->plan.aws < 0)
            m->plan.aws = (int)i; /* the first bound one signs */
        if ((bound >> i & 1) && k == BB_CRED_OAUTH2 && m->plan.oauth < 0)
            m->plan.oauth = (int)i; /* the first bound one authorises */
    }
    unbound_set(c, m);
    if (allow) {
        subst_set(c, m, BB_SUBST_IN_HEADERS, FORM_RAW, &m->plan.hdr);
        subst_set(c, m, BB_SUBST_IN_PATH, FORM_PCT, &m->plan.path);
        subst_set(c, m, BB_SUBST_IN_QUERY, FORM_PCT, &m->plan.query);
        subst_set(c, m, BB_SUBST_IN_BODY, FORM_RAW, &m->plan.body[BB_BODY_RAW]);
        subst_set(c, m, BB_SUBST_IN_BODY, FORM_JSON, &m->plan.body[BB_BODY_JSON]);
        subst_set(c, m, BB_SUBST_IN_BODY, FORM_PCT, &m->plan.body[BB_BODY_FORM]);
        if (cfg->redaction.enabled) {
            resp_set(c, m, r, false, &m->plan.resp);
            resp_set(c, m, r, true, &m->plan.resp_same);
        }
    }
    if (empty(&m->plan)) {
        free(m);
        errno = 0;
        return NULL;
    }
    return &m->plan;
}

static void free_plan(struct bb_cred_plan *p)
{
    free(p); /* the plan is the first member of its plan_mem */
}

const struct bb_cred_plan *bb_creds_plan(const struct bb_creds *c, const struct bb_rule *r,
                                         const struct bb_host *h, bool allow, bool *oom)
{
    if (c == NULL)
        return NULL;
    const struct bb_rule *rules = c->cfg->egress.rules;
    bool ours = r != NULL && r >= rules && r < rules + c->cfg->egress.nrules;
    if (allow && ours && exact_host(r))
        return c->rules[r - rules].plan != NULL ? c->rules[r - rules].plan : c->plain;
    uint64_t bound = bound_mask(c->cfg, h);
    if (bound == 0 && (!allow || !ours || c->rules[r - rules].nsecs == 0))
        return c->plain;
    errno = 0;
    const struct bb_cred_plan *p = build_plan(c, r, bound, allow);
    if (p == NULL && errno == ENOMEM)
        *oom = true;
    if (p != NULL)
        ((struct bb_cred_plan *)p)->owned = true;
    return p;
}

void bb_cred_plan_put(const struct bb_cred_plan *p)
{
    if (p != NULL && p->owned)
        free_plan((struct bb_cred_plan *)p);
}

enum bb_body_kind bb_cred_body_kind(const char *type, size_t len)
{
    size_t n = 0;
    while (n < len && type[n] != ';' && type[n] != ' ' && type[n] != '\t')
        n++;
    if ((n == 16 && strncasecmp(type, "application/json", 16) == 0) ||
        (n > 5 && strncasecmp(type + n - 5, "+json", 5) == 0))
        return BB_BODY_JSON;
    if (n == 33 && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0)
        return BB_BODY_FORM;
    return BB_BODY_RAW;
}

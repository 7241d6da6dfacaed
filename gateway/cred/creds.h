/*
 * The credential table of a snapshot and what it makes of one request
 * (docs/security.md, "Placeholders and redaction").
 *
 * The table holds, for every secret the config names (credentials first,
 * then the secret_refs only header_rewrites use): its value, the forms it
 * takes in a URL (percent-encoded) and in JSON (escaped), its
 * placeholder, and for each rule the secrets its rewrites inject.
 *
 * A request's plan says, for the request's host and rule:
 *   unbound   placeholders of credentials not bound to the host: any of
 *             them anywhere in the request is credential_misuse;
 *   hdr, path, query, body[kind]
 *             the bound placeholders and what they become there (the
 *             secret as is in header values, percent-encoded in the path
 *             and query and in a form body, JSON-escaped in a JSON body);
 *             a bound credential whose secret is missing refuses instead
 *             (secret_not_available);
 *   resp      what the answer must not carry: every secret the request
 *             was given (injected or substituted) in its three forms,
 *             replaced by its placeholder, or by BB_REDACT_MASK where it
 *             has none (a whole injected value, "Bearer <key>", then reads
 *             "Bearer <placeholder>": it needs no pattern of its own);
 *   aws       the bound aws_sigv4 credential that re-signs the request
 *             (its placeholder access key id is what the client must
 *             have signed with), or -1;
 *   oauth     the bound oauth2 credential whose access token goes as
 *             Authorization: Bearer (minter.h), or -1;
 *   resp_same the same, each replaced by something as long (the
 *             placeholder when it is, else "[REDACTED***]" of that length):
 *             for an answer whose Content-Length must stay as it is.
 * Tags: in the request sets, the credential's index; in resp, an index
 * into the plan's names.
 *
 * Plans of rules for one exact host are made with the table and shared;
 * others (wildcard rules, default allow, would_deny) per request.
 * Thread-safety: immutable once built; plans shared freely.
 */
#ifndef BB_CREDS_H
#define BB_CREDS_H

#include "gateway/cred/oauth2.h"
#include "gateway/cred/subst.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_REDACT_MASK      "[REDACTED]"
#define BB_REDACT_SHORT_LEN 8 /* shorter secrets are still redacted, with a warning at load */

struct bb_config;
struct bb_rule;
struct bb_host;

enum bb_body_kind { BB_BODY_RAW, BB_BODY_JSON, BB_BODY_FORM };

struct bb_cred_plan {
    uint64_t bound; /* bit per credential index bound to the host */
    int aws;        /* the aws_sigv4 credential that signs the request, or -1 */
    int oauth;      /* the oauth2 credential whose token authorises it, or -1 */
    struct bb_subst_set unbound, hdr, path, query, body[3], resp;
    struct bb_subst_set resp_same; /* resp, every replacement as long as what it replaces */
    const char *const *names;      /* resp's tags: the secret_ref each stands for */
    size_t nnames;
    bool owned; /* made for one request: bb_cred_plan_put frees it */
};

/* A secret's value by name, or NULL when absent (bb_secrets_get). */
typedef const char *(*bb_cred_secret_fn)(const void *arg, const char *name, size_t *len);

struct bb_creds;

/* The table for cfg, with secret values from get(arg) (they must outlive
 * it) and the process's placeholders (placeholder.h, synced for cfg).
 * Warnings (a short secret, one too long to look for) are logged. NULL
 * when cfg has no credentials and no rewrite with a secret (nothing to
 * do), or on out-of-memory (*oom set). */
struct bb_creds *bb_creds_new(const struct bb_config *cfg, bb_cred_secret_fn get, const void *arg,
                              bool *oom);
void bb_creds_free(struct bb_creds *c);

/* The plan for a request to h under rule r (NULL: no rule, a default
 * allow). allow: the verdict is a real allow (credentials are given only
 * then). NULL when the request has nothing to do with credentials, or on
 * out-of-memory (*oom set). */
const struct bb_cred_plan *bb_creds_plan(const struct bb_creds *c, const struct bb_rule *r,
                                         const struct bb_host *h, bool allow, bool *oom);
/* Gives a plan back (frees one made for its request). NULL is fine. */
void bb_cred_plan_put(const struct bb_cred_plan *p);

/* An aws_sigv4 credential's secrets (docs/security.md, "AWS SigV4"):
 * slices of the snapshot's secrets, valid while it lives. */
struct bb_cred_aws {
    const struct bb_credential *cred;
    const char *akid, *key, *token, *ph; /* token NULL: none */
    size_t akid_len, key_len, token_len, ph_len;
};
/* Fills out for credential `index` (a plan's aws). 0, or -1 when one of
 * its secrets is missing (out says which are NULL). */
int bb_creds_aws(const struct bb_creds *c, int index, struct bb_cred_aws *out);

/* An oauth2 credential's secrets, as aws's. */
struct bb_cred_oauth {
    const struct bb_credential *cred;
    struct bb_oauth_secrets sec;
    const char *ph;
    size_t ph_len;
};
/* 0, or -1 when a secret its grant names is missing. */
int bb_creds_oauth(const struct bb_creds *c, int index, struct bb_cred_oauth *out);

/* The secret_ref of credential `index` (request tags). */
const char *bb_creds_name(const struct bb_creds *c, int index);

/* How a request body carries values, from its Content-Type (len bytes):
 * JSON (application/json, +json), a form (application/x-www-form-
 * urlencoded), anything else as is. */
enum bb_body_kind bb_cred_body_kind(const char *type, size_t len);

#endif

/*
 * OAuth2 at the boundary, the protocol part (docs/security.md, "OAuth2
 * access tokens"): the token request an oauth2 credential makes (RFC 6749
 * §4.4 client credentials, §6 refresh) and the reading of the endpoint's
 * answer (§5.1 success, §5.2 error) with jansson. Pure: bytes in, bytes
 * out, no I/O; the fetching, caching and waiting are minter.h's.
 *
 * What an answer must hold to be used: an access_token of visible ASCII
 * (it becomes a header value), a token_type of Bearer when one is given,
 * and an expires_in of whole seconds (a number, or digits in a string as
 * some servers send); a rotated refresh_token is taken when present.
 *
 * Error convention: 0 / -1 with a static reason.
 */
#ifndef BB_OAUTH2_H
#define BB_OAUTH2_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

#define BB_OAUTH_TOKEN_MAX   8192u           /* an access or refresh token, bytes */
#define BB_OAUTH_ANSWER_MAX  (64u * 1024u)   /* the endpoint's answer body, bytes */
#define BB_OAUTH_TTL_DEFAULT 300u            /* seconds, when expires_in is absent */
#define BB_OAUTH_TTL_MAX     (366u * 86400u) /* a longer expires_in is cut to this */
#define BB_OAUTH_ERROR_MAX   64u             /* the endpoint's error code kept for the audit */
#define BB_OAUTH_REQUEST_MAX (32u * 1024u)   /* the token request, head and body */

struct bb_credential;

/* What the request is made of: the grant's secrets (NULL: absent). */
struct bb_oauth_secrets {
    const char *client_id, *client_secret, *refresh_token;
    size_t client_id_len, client_secret_len, refresh_token_len;
};

/* The token request for c into out (HTTP/1.1, Connection: close): a POST
 * of the form to c's token_path, the client authenticated as
 * client_auth says (Basic, or client_id and client_secret in the form),
 * scope and audience when configured. -1 when it does not fit
 * BB_OAUTH_REQUEST_MAX or a secret the grant needs is absent. */
int bb_oauth_request(struct bb_buf *out, const struct bb_credential *c,
                     const struct bb_oauth_secrets *s);

struct bb_oauth_answer {
    char *access_token; /* malloc'd, NUL-terminated; wiped by bb_oauth_answer_wipe */
    size_t access_len;
    char *refresh_token; /* a rotated one, or NULL */
    size_t refresh_len;
    uint64_t expires_in;                /* seconds, 1..BB_OAUTH_TTL_MAX */
    char error[BB_OAUTH_ERROR_MAX + 1]; /* §5.2's error code, when the answer is one */
};

/* Reads an answer body of n bytes. 0 with out filled, or -1 with *why
 * (and out->error when the endpoint said why). Never keeps or reports
 * what it could not use: a token in a bad answer is wiped. */
int bb_oauth_parse(const char *body, size_t n, struct bb_oauth_answer *out, const char **why);

/* Wipes and frees the tokens of a. */
void bb_oauth_answer_wipe(struct bb_oauth_answer *a);

#endif

/*
 * libFuzzer target: OAuth2's token answers and requests (gateway/cred/
 * oauth2.c). The input is a token endpoint's answer body; it is also cut
 * in three at its first two NULs to make a client id, secret and refresh
 * token. Invariants: an answer that is taken has an access token (and a
 * rotated refresh token) of 1..BB_OAUTH_TOKEN_MAX visible ASCII bytes, so
 * it cannot split the Authorization header it becomes, and an expires_in
 * in 1..BB_OAUTH_TTL_MAX; an answer that is refused keeps no token and
 * names an error code of plain characters only; a token request made
 * from any secrets has one line per header, no CR or LF in its body, and
 * a Content-Length that is the body's.
 */
#include "gateway/cred/oauth2.h"
#include "policy/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool visible(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return false;
    return n > 0 && n <= BB_OAUTH_TOKEN_MAX && s[n] == '\0';
}

static void answer(const char *d, size_t n)
{
    struct bb_oauth_answer a;
    const char *why = NULL;
    if (bb_oauth_parse(d, n, &a, &why) == 0) {
        if (why != NULL || !visible(a.access_token, a.access_len) || a.expires_in == 0 ||
            a.expires_in > BB_OAUTH_TTL_MAX ||
            (a.refresh_token != NULL && !visible(a.refresh_token, a.refresh_len)))
            abort();
        bb_oauth_answer_wipe(&a);
        return;
    }
    if (why == NULL || a.access_token != NULL || a.refresh_token != NULL)
        abort();
    for (const char *e = a.error; *e; e++)
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", *e) == NULL)
            abort();
}

static void request(const char *d, size_t n, bool refresh, bool post)
{
    const char *p1 = memchr(d, 0, n), *p2 = p1 ? memchr(p1 + 1, 0, n - (size_t)(p1 + 1 - d)) : NULL;
    if (p2 == NULL)
        return;
    struct bb_oauth_secrets s = {.client_id = d,
                                 .client_id_len = (size_t)(p1 - d),
                                 .client_secret = p1 + 1,
                                 .client_secret_len = (size_t)(p2 - p1 - 1),
                                 .refresh_token = p2 + 1,
                                 .refresh_token_len = n - (size_t)(p2 + 1 - d)};
    struct bb_credential c = {.grant =
                                  refresh ? BB_GRANT_REFRESH_TOKEN : BB_GRANT_CLIENT_CREDENTIALS,
                              .client_auth = post ? BB_OAUTH_AUTH_POST : BB_OAUTH_AUTH_BASIC,
                              .token_host = "auth.test",
                              .token_port = 443,
                              .token_path = "/t",
                              .scope = "a b",
                              .audience = "x"};
    struct bb_buf b;
    bb_buf_init(&b, BB_OAUTH_REQUEST_MAX);
    if (bb_oauth_request(&b, &c, &s) == 0) {
        const char *h = bb_buf_head(&b), *end = NULL;
        size_t len = bb_buf_size(&b);
        for (size_t i = 0; i + 3 < len && end == NULL; i++)
            if (memcmp(h + i, "\r\n\r\n", 4) == 0)
                end = h + i + 4;
        if (end == NULL)
            abort();
        size_t body = len - (size_t)(end - h);
        for (const char *x = h; x + 1 < end - 2; x++) /* a lone CR or LF in the head */
            if ((*x == '\n' && x[-1] != '\r') || (*x == '\r' && x[1] != '\n'))
                abort();
        if (memchr(end, '\r', body) != NULL || memchr(end, '\n', body) != NULL)
            abort();
        char want[64];
        snprintf(want, sizeof(want), "Content-Length: %zu\r\n", body);
        if (memmem(h, (size_t)(end - h), want, strlen(want)) == NULL)
            abort();
    }
    bb_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    answer(d, size);
    request(d, size, size & 1, size & 2);
    return 0;
}

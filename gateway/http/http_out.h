/*
 * What botbox sends: the request head it forwards upstream, the response
 * head it relays to the client, and its own error responses (docs/reference.md §4).
 * Also the request-target rules that decide which host a request is for.
 *
 * Forwarded heads are rebuilt, never copied: hop-by-hop headers (and every
 * header a Connection header names) are dropped in both directions, Host is
 * set to the upstream authority, header rewrites delete every existing
 * value and add one, and the framing header is written from the decoded
 * framing, so exactly one reading of the message leaves botbox.
 *
 * Pure: builds bytes into a struct bb_buf.
 */
#ifndef BB_HTTP_OUT_H
#define BB_HTTP_OUT_H

#include "common/buf.h"
#include "gateway/cred/subst.h"
#include "gateway/http/http_head.h"
#include "policy/config.h"

struct bb_secrets;

/* The authority and origin-form target of a request. */
struct bb_target {
    const char *authority; /* Host value, or the absolute-form authority */
    size_t authority_len;
    const char *path; /* origin-form: "/..." (never empty) */
    size_t path_len;
    bool absolute; /* the request used absolute-form */
};

/* Splits the request target and checks it against Host. Returns 0, or the
 * HTTP status (400) with *why set to the body of docs/reference.md §4: "missing host",
 * "host mismatch", "bad request". */
int bb_http_target(const struct bb_http_head *h, struct bb_target *t, const char **why);

/* How the forwarded request's body is framed. */
enum bb_inject_framing {
    BB_INJ_AS_READ, /* as the client framed it */
    BB_INJ_CHUNKED, /* re-framed in chunks (a substitution changes its length) */
    BB_INJ_LENGTH,  /* Content-Length: length (a held body, substituted) */
};

/* What the forwarded request gets: the rule's rewrites, and the
 * placeholders replaced in it (gateway/cred/creds.h). */
struct bb_inject {
    const struct bb_rule *rule; /* rewrites to apply; NULL: none */
    const struct bb_secrets *secrets;
    /* placeholders in header values, the path and the query (NULL: none) */
    const struct bb_subst_set *hdr, *path, *query;
    bool identity; /* Accept-Encoding: identity instead of the client's (redaction) */
    enum bb_inject_framing framing;
    uint64_t length; /* BB_INJ_LENGTH */
    /* an oauth2 access token: "Authorization: Bearer <it>" replaces the
     * client's Authorization and any rewrite of it (NULL: none) */
    const char *bearer;
    size_t bearer_len;
    /* out: the replacements made, their tags, a refusing pattern's tag */
    uint32_t hits;
    uint64_t tags;
    int refused_tag;
};

/* Appends the upstream request head: "METHOD path HTTP/1.1", Host, the
 * client's end-to-end headers, rewrites, "TE: trailers" when the client
 * said it takes them, framing. websocket keeps the
 * Upgrade handshake headers. Returns 0, -1 when out is full, -2 when a
 * referenced secret is absent, or -3 when a placeholder's set refused
 * (inj->refused_tag: its secret is absent); nothing usable was written
 * then. The rule's first *ninjected rewrites were written (all of them on
 * success). */
int bb_http_write_request(struct bb_buf *out, const struct bb_http_head *h,
                          const struct bb_target *t, const char *host_header, struct bb_inject *inj,
                          bool websocket, size_t *ninjected);

/* How a relayed response body is framed towards the client. */
enum bb_http_out_framing { BB_OUT_NONE, BB_OUT_LENGTH, BB_OUT_CHUNKED, BB_OUT_EOF };

/* The framing to use for a response, given the client's HTTP version. An
 * until-EOF body becomes chunked for HTTP/1.1 clients (the connection can
 * then stay open). */
enum bb_http_out_framing bb_http_response_framing(const struct bb_http_head *resp,
                                                  uint8_t client_minor);

/* Appends the client-side response head. close adds Connection: close;
 * upgrade keeps the 101 handshake headers. Returns 0 or -1. */
int bb_http_write_response(struct bb_buf *out, const struct bb_http_head *resp,
                           enum bb_http_out_framing framing, bool close, bool upgrade);

/* The same with every header value and the reason phrase passed through
 * redact (NULL: as is); *hits and *tags are added to. */
int bb_http_write_response_redacted(struct bb_buf *out, const struct bb_http_head *resp,
                                    enum bb_http_out_framing framing, bool close, bool upgrade,
                                    const struct bb_subst_set *redact, uint32_t *hits,
                                    uint64_t *tags);

/* The header fields of resp as an HTTP/2 HEADERS frame carries them, for
 * nghttp2 to encode: ":status" first (its three digits in status[0..2]),
 * then the end-to-end fields with their names in lower case (copied into
 * names[0..names_cap)), values pointing into resp. Dropped, as on the
 * HTTP/1.1 side: hop-by-hop fields, those named by Connection, and
 * Content-Length unless it gives the body's length (framing LENGTH) or a
 * bodyless answer's informative one (HEAD, 304). Returns the number of
 * fields, or -1 when out (cap entries) or names is too small. */
struct bb_h2_field;
int bb_http_h2_response_fields(const struct bb_http_head *resp, bool bodyless, char status[3],
                               struct bb_h2_field *out, size_t cap, char *names, size_t names_cap);

/* The request head botbox wrote for an upstream (bb_http_write_request)
 * as the fields of the HEADERS that open a stream to an upstream that
 * speaks h2: :method, :scheme https, :authority from Host, :path, then the
 * fields in lower case (copied into names), "te: trailers" when it said
 * so, Content-Length as written (the DATA that follow match it); Host and
 * the hop-by-hop fields have no place in HTTP/2. Returns the number of
 * fields, or -1 when out (cap entries) or names is too small or h has no
 * Host. */
int bb_http_h2_request_fields(const struct bb_http_head *h, struct bb_h2_field *out, size_t cap,
                              char *names, size_t names_cap);

/* The kept trailer lines (struct bb_http_body's trailers: "name:
 * value\r\n" each) as the fields of a trailing HEADERS frame, names in
 * lower case (copied into names), values pointing into lines. Returns the
 * number of fields, or -1 when out or names is too small. */
int bb_http_h2_trailer_fields(const struct bb_buf *lines, struct bb_h2_field *out, size_t cap,
                              char *names, size_t names_cap);

/* Appends one of botbox's own responses: text/plain body, Content-Length,
 * Connection: close. Returns 0 or -1. */
int bb_http_write_error(struct bb_buf *out, int status, const char *body);

/* The request is a gRPC call (Content-Type application/grpc...). */
bool bb_http_is_grpc(const struct bb_http_head *h);
/* The gRPC status code a refusal with this HTTP status reads as:
 * 403/405 PERMISSION_DENIED (7), 408 DEADLINE_EXCEEDED (4), 421 and
 * 502/503/504 UNAVAILABLE (14), 429 RESOURCE_EXHAUSTED (8), 400/431/500
 * INTERNAL (13), else UNKNOWN (2). */
int bb_http_grpc_status(int status);
/* One of botbox's refusals for a gRPC call: the trailers-only answer a
 * gRPC client reads as a status (200, grpc-status from
 * bb_http_grpc_status, grpc-message the body percent-encoded, no body),
 * as Envoy's local replies to gRPC are. Returns 0 or -1. */
int bb_http_write_grpc_error(struct bb_buf *out, int status, const char *body);

/* The reason phrase botbox uses for a status it generates. */
const char *bb_http_reason(int status);

/* Appends body bytes in the given framing (a chunk for CHUNKED). */
int bb_http_write_body(struct bb_buf *out, enum bb_http_out_framing f, const char *p, size_t n);

/* Appends the end of a chunked body: "0\r\n", the kept trailer lines
 * (struct bb_http_body's; NULL: none) but those whose names inj's rule
 * rewrites (inj NULL: none), "\r\n". No-op for other framings, where a
 * trailer has no place. */
int bb_http_write_body_end(struct bb_buf *out, enum bb_http_out_framing f,
                           const struct bb_buf *trailers, const struct bb_inject *inj);

#endif

/*
 * HTTP/1.x message heads: finding the end of a head in a byte stream, and
 * parsing a complete request or response head with llhttp (strict mode)
 * plus the checks llhttp leaves to its user (docs/reference.md §8): obs-fold, bare CR
 * or LF, NUL, doubled spaces in the start line, versions other than 1.0 and
 * 1.1, empty header names, Transfer-Encoding on HTTP/1.0 or other than
 * exactly "chunked", duplicate Host, and the size and count limits.
 *
 * The parsed head points into the caller's buffer, which must stay put
 * while the head is used. The llhttp parser passed in is left paused right
 * after the head, so the caller can feed it the body next.
 *
 * Pure: bytes in, struct out; no I/O. Parsers return 0 when the head is
 * acceptable, or the HTTP status it deserves (400, 431; for responses any
 * nonzero value means "bad upstream response") with a static reason.
 */
#ifndef BB_HTTP_HEAD_H
#define BB_HTTP_HEAD_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#define BB_HTTP_HEAD_MAX    (64u * 1024u) /* bytes in a head: 431 beyond (docs/reference.md §4) */
#define BB_HTTP_MAX_HEADERS 100           /* header lines in a head: 431 beyond */

struct bb_hdr {
    const char *name, *value; /* value without surrounding whitespace */
    size_t name_len, value_len;
};

/* The memory a head's header lines need (BB_HTTP_MAX_HEADERS entries). */
#define BB_HTTP_LINES_BYTES (BB_HTTP_MAX_HEADERS * sizeof(struct bb_hdr))

/*
 * How a message's body is delimited (RFC 9112 §6.3), decided once per
 * head by the parsers below; docs/proxy.md has the same table.
 *
 *   message                                   framing   body ends
 *   response to HEAD; 1xx, 204, 304 response  NONE      with the head, whatever
 *                                                       its headers say
 *   Transfer-Encoding: chunked                CHUNKED   at the last chunk (and
 *                                                       trailers): may be at once
 *   Content-Length: n                         LENGTH    after n bytes; n = 0: with
 *                                                       the head (bb_http_body_empty)
 *   request with neither                      NONE      with the head
 *   response with neither                     EOF       when the upstream closes
 *
 * A body that ends with its head is complete as soon as the head is read:
 * nothing more is waited for, and the connection stays reusable.
 */
enum bb_http_framing {
    BB_BODY_NONE,    /* no body */
    BB_BODY_LENGTH,  /* Content-Length bytes */
    BB_BODY_CHUNKED, /* Transfer-Encoding: chunked */
    BB_BODY_EOF,     /* responses only: until the connection closes */
};

struct bb_http_head {
    /* start line */
    const char *method, *target, *reason;
    size_t method_len, target_len, reason_len;
    int status;        /* responses */
    uint8_t minor;     /* HTTP/1.minor */
    uint8_t method_id; /* llhttp_method_t */
    /* headers, in order, in the caller's memory of BB_HTTP_LINES_BYTES:
     * set h before parsing. A head is kept with its owner (a connection
     * holds two), and the lines only while it is being used, so they are
     * not part of it (3.2 KiB that every idle connection would hold). */
    struct bb_hdr *h;
    size_t n;
    /* derived */
    enum bb_http_framing framing;
    uint64_t content_length;
    bool keep_alive;           /* per llhttp_should_keep_alive */
    bool upgrade;              /* Connection: upgrade with an Upgrade header */
    const struct bb_hdr *host; /* the single Host header, or NULL */
    size_t head_len;           /* bytes of the head, CRLF CRLF included */
};

/* Empties h: no start line, no headers. The lines' memory stays attached
 * (h->h), and entries past h->n are never read, so they are left as they
 * are. */
void bb_http_head_clear(struct bb_http_head *h);

/* Scans buf for the end of a head (CRLF CRLF). Returns its length, 0 when
 * more bytes are needed, -1 for bytes no valid head contains (bare LF, CR
 * not followed by LF, NUL), -2 when no head ends within `limit` bytes. */
ssize_t bb_http_head_end(const char *buf, size_t len, size_t limit);

/* llhttp settings for heads: the callbacks fill a struct bb_http_head
 * through parser->data. */
const llhttp_settings_t *bb_http_head_settings(void);

/* Parses the complete request head buf[0..len) (len from bb_http_head_end)
 * with p, which this function initialises, into out (out->h set: see
 * struct bb_http_head). Returns 0, 400 or 431; 500 when out->h is NULL. */
int bb_http_parse_request(llhttp_t *p, const char *buf, size_t len, struct bb_http_head *out,
                          const char **why);

/* The same for a response head; head_request says the request was HEAD
 * (no body follows then). Returns 0, or nonzero for an unusable response
 * (500 when out->h is NULL). */
int bb_http_parse_response(llhttp_t *p, const char *buf, size_t len, bool head_request,
                           struct bb_http_head *out, const char **why);

/* The body ends with the head: no body, or Content-Length: 0. */
static inline bool bb_http_body_empty(const struct bb_http_head *h)
{
    return h->framing == BB_BODY_NONE || (h->framing == BB_BODY_LENGTH && h->content_length == 0);
}

/* Case-insensitive header name comparison. Inline: with a literal name the
 * length is a constant and most headers are told apart by it alone (every
 * head is searched several times per request). */
static inline bool bb_hdr_is_n(const struct bb_hdr *h, const char *name, size_t len)
{
    return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

static inline bool bb_hdr_is(const struct bb_hdr *h, const char *name)
{
    return bb_hdr_is_n(h, name, strlen(name));
}

/* The first header with that name, or NULL; *count gets how many there are. */
const struct bb_hdr *bb_http_find(const struct bb_http_head *h, const char *name, size_t *count);

/* True when the comma-separated list in value contains token (any case). */
bool bb_http_has_token(const char *value, size_t len, const char *token);

#endif

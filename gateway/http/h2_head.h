/*
 * HTTP/2 request heads as the HTTP/1.1 pipeline judges them: the header
 * fields of one stream (HPACK already decoded, by nghttp2) are checked
 * against RFC 9113 §8 and turned into the same struct bb_http_head that
 * bb_http_parse_request fills, so that the method checks, the policy, the
 * rewrites and the rebuilt HTTP/1.1 head are those of the HTTP/1.1 path.
 *
 * Refused, with the reason, before anything is forwarded (these are the
 * shapes that smuggle a second request through a downgrade to HTTP/1.1):
 *   - CR, LF or NUL anywhere in a name or value; a name with upper case or
 *     a byte that is not a token character; a value with surrounding
 *     spaces or tabs; a pseudo-header value with a byte that is not
 *     visible ASCII (an HTTP/1.1 request line carries nothing else);
 *   - a pseudo-header after a regular field, unknown, repeated, or missing
 *     (:method, :scheme, :path; :authority or Host), a :path that does not
 *     start with '/' ('*' only for OPTIONS), CONNECT of any kind;
 *   - connection-specific fields (Connection, Keep-Alive,
 *     Proxy-Connection, Transfer-Encoding, Upgrade), TE other than
 *     "trailers";
 *   - :authority and Host that disagree, two Host fields;
 *   - a Content-Length that is not one decimal number (the stream's DATA
 *     is checked against it as it comes: bb_h2_body_ok);
 *   - more than BB_HTTP_MAX_HEADERS fields, or more than BB_HTTP_HEAD_MAX
 *     bytes of names and values (the limits of an HTTP/1.1 head).
 *
 * Pure: fields in, struct out, no I/O; the head points into the fields.
 *
 * HTTP/2 may split Cookie into several fields (RFC 9113 §8.2.3): they are
 * several Cookie lines in the head, and one, joined with "; ", in what
 * bb_h2_write_head writes.
 */
#ifndef BB_H2_HEAD_H
#define BB_H2_HEAD_H

#include "gateway/http/http_head.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One decoded header field, as nghttp2 hands it over (its nghttp2_nv). */
struct bb_h2_field {
    const uint8_t *name, *value;
    size_t name_len, value_len;
};

/* Fills out (out->h set to BB_HTTP_MAX_HEADERS entries, as for
 * bb_http_parse_request) from the n fields of a request's HEADERS;
 * end_stream: the HEADERS frame ended the stream (no body). The regular
 * fields become out's headers, with a "host" entry for :authority when
 * the request carries no Host of its own; the target is :path. Framing:
 * Content-Length as given, none when end_stream, else chunked (the
 * HTTP/1.1 side then frames the DATA as chunks). Returns 0, or 400 with a
 * static reason in *why; 431 past the size limits. */
int bb_h2_request_head(const struct bb_h2_field *f, size_t n, bool end_stream,
                       struct bb_http_head *out, const char **why);

/* Appends h (from bb_h2_request_head) as the HTTP/1.1 request head a
 * stream's request reads (gateway/proxy/h2.c): the request line, the
 * fields with Cookie joined into one line, "transfer-encoding: chunked"
 * when h's framing is CHUNKED (the DATA follows as chunks), and
 * "connection: close" (a stream carries one request). Returns 0, or -1
 * when b is full. */
struct bb_buf;
int bb_h2_write_head(struct bb_buf *b, const struct bb_http_head *h);

/* Whether `seen` body bytes so far, and `done` (END_STREAM came), agree
 * with h's Content-Length (RFC 9113 §8.1.1): more than it, or fewer at the
 * end, make the request malformed. Always true without a Content-Length. */
bool bb_h2_body_ok(const struct bb_http_head *h, uint64_t seen, bool done);

#endif

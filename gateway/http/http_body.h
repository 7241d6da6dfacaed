/*
 * HTTP message bodies, decoded by the llhttp parser that read the head
 * (http_head.h). Content-Length and chunked bodies come out as plain data;
 * chunk sizes and extensions are consumed here and never passed on (the
 * proxy re-frames what it forwards, so only one reading of the body ever
 * leaves botbox). A chunked body's trailer fields are dropped, or kept for
 * the relay when asked (keep_trailers): then as checked lines, without
 * the fields a trailer must not carry (bb_http_trailer_allowed).
 *
 * Error convention: bb_http_body_feed returns bytes consumed (>= 0) or -1
 * for a malformed body (bad chunk size, overflow...).
 */
#ifndef BB_HTTP_BODY_H
#define BB_HTTP_BODY_H

#include "common/buf.h"
#include "gateway/http/http_head.h"

/* The trailer section kept for the relay, its "name: value\r\n" lines
 * (gRPC's grpc-status, grpc-message and a details field of a few KiB).
 * Beyond, the body is malformed (the feed returns -1). */
#define BB_HTTP_TRAILERS_MAX (16u * 1024u)

typedef int (*bb_http_data_cb)(void *arg, const char *p, size_t n);

struct bb_http_body {
    /* Called with each run of decoded body bytes; returns 0, or -1 to stop
     * (the feed then returns -1 as well). */
    bb_http_data_cb on_data;
    void *arg;
    bool done;              /* the message is complete */
    bool keep_trailers;     /* collect the trailer fields into trailers */
    bool in_value;          /* a field's value is being read */
    struct bb_buf trailers; /* "name: value\r\n" each (heap, on the first one) */
    size_t field;           /* where the field being read starts in trailers */
};

/* Sets b up for a new body (what it kept of a former one is freed): data
 * goes to on_data(arg), trailers are kept when keep_trailers. */
void bb_http_body_init(struct bb_http_body *b, bb_http_data_cb on_data, void *arg,
                       bool keep_trailers);

/* Frees what b kept (its trailers). */
void bb_http_body_release(struct bb_http_body *b);

/* Whether a field of this name may be relayed as a trailer: not framing,
 * routing, credentials, cookies or the content's own description (RFC
 * 9110 §6.5.1), which a peer could use to say after the fact what the head
 * did not. name: len bytes, any case. */
bool bb_http_trailer_allowed(const char *name, size_t len);

/* Prepares p (which just parsed `head`) to decode its body into b. A
 * message whose body ends with its head (bb_http_body_empty) is done at
 * once: the caller must not wait for bytes of it. */
void bb_http_body_start(llhttp_t *p, const struct bb_http_head *head, struct bb_http_body *b);

/* Feeds body bytes; stops at the end of the message (what follows belongs
 * to the next message). */
ssize_t bb_http_body_feed(llhttp_t *p, struct bb_http_body *b, const char *buf, size_t len);

/* The connection closed: completes an until-EOF body. Returns 0, or -1 when
 * the body was cut short (a Content-Length or chunked body unfinished). */
int bb_http_body_eof(llhttp_t *p, struct bb_http_body *b);

#endif

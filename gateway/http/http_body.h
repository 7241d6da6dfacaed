/*
 * HTTP message bodies, decoded by the llhttp parser that read the head
 * (http_head.h). Content-Length and chunked bodies come out as plain data;
 * chunk sizes, extensions and trailers are consumed here and never passed
 * on (the proxy re-frames what it forwards, so only one reading of the body
 * ever leaves botbox).
 *
 * Error convention: bb_http_body_feed returns bytes consumed (>= 0) or -1
 * for a malformed body (bad chunk size, overflow...).
 */
#ifndef BB_HTTP_BODY_H
#define BB_HTTP_BODY_H

#include "gateway/http/http_head.h"

struct bb_http_body {
    /* Called with each run of decoded body bytes; returns 0, or -1 to stop
     * (the feed then returns -1 as well). */
    int (*on_data)(void *arg, const char *p, size_t n);
    void *arg;
    bool done; /* the message is complete */
};

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

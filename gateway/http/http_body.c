/*
 * Body decoding with llhttp (see http_body.h). The parser is switched to
 * body-only callbacks; trailers arrive through header callbacks, which are
 * not set here, so they are dropped.
 */
#include "gateway/http/http_body.h"

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    struct bb_http_body *b = p->data;
    return b->on_data(b->arg, at, n) == 0 ? 0 : HPE_USER;
}

static int on_complete(llhttp_t *p)
{
    struct bb_http_body *b = p->data;
    b->done = true;
    return HPE_PAUSED; /* what follows is the next message */
}

/* Read-only, complete at compile time (no first-use fill for workers to
 * race on). */
static const llhttp_settings_t body_settings = {
    .on_body = on_body,
    .on_message_complete = on_complete,
};

void bb_http_body_start(llhttp_t *p, const struct bb_http_head *head, struct bb_http_body *b)
{
    /* The parser keeps its state from the head; only the callbacks change.
     * llhttp stores settings as void * and only reads them (llhttp_init
     * casts the same way). */
    p->settings = (void *)&body_settings;
    p->data = b;
    b->done = bb_http_body_empty(head);
}

ssize_t bb_http_body_feed(llhttp_t *p, struct bb_http_body *b, const char *buf, size_t len)
{
    if (b->done || len == 0)
        return 0;
    llhttp_errno_t err = llhttp_execute(p, buf, len);
    if (err == HPE_OK)
        return (ssize_t)len;
    if (err == HPE_PAUSED && b->done)
        return llhttp_get_error_pos(p) - buf;
    return -1;
}

int bb_http_body_eof(llhttp_t *p, struct bb_http_body *b)
{
    if (b->done)
        return 0;
    /* llhttp_finish reports OK even after an error (docs/reference.md §8), so the
     * completion flag is what counts. */
    llhttp_finish(p);
    return b->done ? 0 : -1;
}

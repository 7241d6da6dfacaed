/*
 * Body decoding with llhttp (see http_body.h). The parser is switched to
 * body-only callbacks; trailers arrive through header callbacks, which are
 * not set here, so they are dropped.
 */
#include "gateway/http_body.h"

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

static llhttp_settings_t body_settings;

static const llhttp_settings_t *settings(void)
{
    if (body_settings.on_message_complete == NULL) {
        llhttp_settings_init(&body_settings);
        body_settings.on_body = on_body;
        body_settings.on_message_complete = on_complete;
    }
    return &body_settings;
}

void bb_http_body_start(llhttp_t *p, const struct bb_http_head *head, struct bb_http_body *b)
{
    p->settings = (void *)settings();
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
    /* llhttp_finish reports OK even after an error (DESIGN §2a), so the
     * completion flag is what counts. */
    llhttp_finish(p);
    return b->done ? 0 : -1;
}

/*
 * The proxy's per-thread context (see proxy_ctx.h): the drain
 * notification, request ids and the trim of freed memory.
 */
#include "gateway/proxy/proxy_ctx.h"
#include "common/macros.h"

#include "gateway/state/shared.h"

#include <malloc.h>
#include <stdatomic.h>

void bb_proxy_ctx_closed(struct bb_proxy_ctx *x)
{
    if (x->draining && LIST_EMPTY(&x->proxies) && x->on_empty != NULL) {
        void (*done)(void *) = x->on_empty;
        x->on_empty = NULL; /* once */
        done(x->on_empty_arg);
    }
}

void bb_proxy_ctx_drain(struct bb_proxy_ctx *x, void (*on_empty)(void *arg), void *arg)
{
    x->draining = true;
    x->on_empty = on_empty;
    x->on_empty_arg = arg;
    bb_proxy_ctx_closed(x); /* maybe nothing is left */
}

/* Takes the freed count if it is worth a trim (another thread may have
 * taken it first) and trims, or comes back when the last trim is too
 * recent. The trim runs on this thread: its connections wait for it, at
 * most once per BB_TRIM_EVERY_MS in the whole process. */
static void on_trim(struct bb_loop *l, struct bb_timer *t)
{
    struct bb_proxy_ctx *x = BB_CONTAINER_OF(t, struct bb_proxy_ctx, trim);
    size_t seen = atomic_load(&x->sh->freed);
    if (seen < BB_TRIM_MIN_BYTES)
        return;
    uint64_t now = bb_loop_now(l), last = atomic_load(&x->sh->trimmed_ms);
    if (last != 0 && now - last < BB_TRIM_EVERY_MS) {
        bb_loop_timer_set(l, t, BB_TRIM_EVERY_MS - (now - last), on_trim);
        return;
    }
    while (seen >= BB_TRIM_MIN_BYTES && !atomic_compare_exchange_weak(&x->sh->freed, &seen, 0))
        ;
    if (seen < BB_TRIM_MIN_BYTES)
        return;
    atomic_store(&x->sh->trimmed_ms, now);
    malloc_trim(0);
}

void bb_proxy_ctx_freed(struct bb_proxy_ctx *x, size_t bytes)
{
    size_t total = atomic_fetch_add_explicit(&x->sh->freed, bytes, memory_order_relaxed) + bytes;
    if (total >= BB_TRIM_MIN_BYTES && !bb_timer_armed(&x->trim))
        bb_loop_timer_set(x->loop, &x->trim, BB_TRIM_DELAY_MS, on_trim);
}

uint64_t bb_proxy_ctx_request_id(struct bb_proxy_ctx *x)
{
    return ((uint64_t)x->id << 56) | (++x->next_request & 0x00ffffffffffffffull);
}

/*
 * The proxy's per-thread context: the drain notification, request ids,
 * and freed memory given back (bb_proxy_ctx_freed) within the bounds that
 * keep a trim, which walks the whole heap, rare. A trim shows as the shared
 * count going back to 0 and the time of the last trim changing.
 */
#include "tests/unit/testutil.h"

#include "gateway/io/loop.h"
#include "gateway/proxy/proxy_ctx.h"
#include "gateway/state/shared.h"
#include "common/macros.h"

#include <string.h>

/* A test is a script of steps on one worker loop, each run a number of
 * milliseconds after the one before (a loop runs once: it cannot be
 * stopped and started again). */
struct rig;
struct step {
    uint64_t after_ms;
    void (*fn)(struct rig *r);
};

struct rig {
    struct bb_shared sh;
    struct bb_proxy_ctx w, other; /* other: a second thread's, on the same loop */
    const struct step *steps;
    size_t n, at;
    struct bb_timer next;
    uint64_t first; /* the first trim's time */
};

static void on_step(struct bb_loop *l, struct bb_timer *t)
{
    struct rig *r = BB_CONTAINER_OF(t, struct rig, next);
    r->steps[r->at++].fn(r);
    if (r->at == r->n)
        bb_loop_stop(l);
    else
        bb_loop_timer_set(l, t, r->steps[r->at].after_ms, on_step);
}

static void run_script(const struct step *steps, size_t n)
{
    static struct rig r;
    memset(&r, 0, sizeof(r));
    r.w.sh = r.other.sh = &r.sh;
    r.w.loop = r.other.loop = bb_loop_new();
    assert_non_null(r.w.loop);
    r.steps = steps;
    r.n = n;
    bb_loop_timer_set(r.w.loop, &r.next, steps[0].after_ms, on_step);
    assert_int_equal(bb_loop_run(r.w.loop), 0);
    bb_loop_free(r.w.loop);
}

static size_t freed(struct rig *r)
{
    return atomic_load(&r->sh.freed);
}

static uint64_t trimmed(struct rig *r)
{
    return atomic_load(&r->sh.trimmed_ms);
}

/* ---- under the threshold, nothing; past it, one trim after the delay ---- */

static void almost(struct rig *r)
{
    bb_proxy_ctx_freed(&r->w, BB_TRIM_MIN_BYTES - 1);
    assert_false(bb_timer_armed(&r->w.trim));
}

static void nothing_happened(struct rig *r)
{
    assert_int_equal(freed(r), BB_TRIM_MIN_BYTES - 1);
    assert_int_equal(trimmed(r), 0);
}

static void one_more_byte(struct rig *r)
{
    bb_proxy_ctx_freed(&r->w, 1);
    assert_true(bb_timer_armed(&r->w.trim));
}

static void not_yet(struct rig *r)
{
    assert_int_equal(freed(r), BB_TRIM_MIN_BYTES);
    assert_int_equal(trimmed(r), 0);
}

static void trimmed_once(struct rig *r)
{
    assert_int_equal(freed(r), 0); /* the count was taken */
    assert_true(trimmed(r) > 0);
    assert_false(bb_timer_armed(&r->w.trim));
}

static void test_trims_past_the_threshold(void **state)
{
    (void)state;
    static const struct step script[] = {
        {0, almost},
        {BB_TRIM_DELAY_MS + 50, nothing_happened},
        {0, one_more_byte},
        {BB_TRIM_DELAY_MS / 2, not_yet},
        {BB_TRIM_DELAY_MS, trimmed_once},
    };
    run_script(script, BB_ARRAY_LEN(script));
}

/* ---- a second crossing right after a trim waits for the interval ---- */

static void a_whole_mib(struct rig *r)
{
    bb_proxy_ctx_freed(&r->w, BB_TRIM_MIN_BYTES);
}

static void note_first(struct rig *r)
{
    trimmed_once(r);
    r->first = trimmed(r);
}

static void held_back(struct rig *r)
{
    assert_int_equal(freed(r), BB_TRIM_MIN_BYTES);
    assert_int_equal(trimmed(r), r->first);
    assert_true(bb_timer_armed(&r->w.trim)); /* it comes back */
}

static void trimmed_after_the_interval(struct rig *r)
{
    assert_int_equal(freed(r), 0);
    assert_true(trimmed(r) >= r->first + BB_TRIM_EVERY_MS);
}

static void test_at_most_one_trim_per_interval(void **state)
{
    (void)state;
    static const struct step script[] = {
        {0, a_whole_mib},
        {BB_TRIM_DELAY_MS + 50, note_first},
        {0, a_whole_mib},
        {BB_TRIM_DELAY_MS + 100, held_back}, /* past the delay, inside the interval */
        {BB_TRIM_EVERY_MS, trimmed_after_the_interval},
    };
    run_script(script, BB_ARRAY_LEN(script));
}

/* ---- two workers past the threshold: one trim ---- */

static void both(struct rig *r)
{
    bb_proxy_ctx_freed(&r->w, BB_TRIM_MIN_BYTES);
    bb_proxy_ctx_freed(&r->other, 1);
    assert_true(bb_timer_armed(&r->w.trim));
    assert_true(bb_timer_armed(&r->other.trim));
}

/* The first timer took the count; the second found nothing worth a walk
 * and is not waiting to try again. */
static void one_trim(struct rig *r)
{
    assert_int_equal(freed(r), 0);
    assert_true(trimmed(r) > 0);
    assert_false(bb_timer_armed(&r->w.trim));
    assert_false(bb_timer_armed(&r->other.trim));
}

static void test_one_trim_for_two_workers(void **state)
{
    (void)state;
    static const struct step script[] = {
        {0, both},
        {BB_TRIM_DELAY_MS + 50, one_trim},
    };
    run_script(script, BB_ARRAY_LEN(script));
}

/* ---- the drain: on_empty once, when the last connection is gone ---- */

static int empties;
static void on_empty(void *arg)
{
    (void)arg;
    empties++;
}

static void test_drain_calls_on_empty_once(void **state)
{
    (void)state;
    struct bb_proxy_ctx x;
    memset(&x, 0, sizeof(x));
    empties = 0;
    bb_proxy_ctx_closed(&x); /* not draining: nobody to tell */
    assert_int_equal(empties, 0);
    bb_proxy_ctx_drain(&x, on_empty, NULL); /* nothing was left: at once */
    assert_int_equal(empties, 1);
    bb_proxy_ctx_closed(&x);
    assert_int_equal(empties, 1); /* once */
    /* with a connection still live, only its close ends the drain */
    memset(&x, 0, sizeof(x));
    struct bb_proxy *live = (struct bb_proxy *)&x; /* any non-NULL: only the head is read */
    x.proxies.lh_first = live;
    bb_proxy_ctx_drain(&x, on_empty, NULL);
    assert_int_equal(empties, 1);
    x.proxies.lh_first = NULL;
    bb_proxy_ctx_closed(&x);
    assert_int_equal(empties, 2);
}

static void test_request_ids(void **state)
{
    (void)state;
    struct bb_proxy_ctx x = {.id = 3};
    assert_int_equal(bb_proxy_ctx_request_id(&x), (3ull << 56) | 1);
    assert_int_equal(bb_proxy_ctx_request_id(&x), (3ull << 56) | 2);
    x.next_request = 0x00ffffffffffffffull; /* the counter wraps below the id */
    assert_int_equal(bb_proxy_ctx_request_id(&x), 3ull << 56);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trims_past_the_threshold),
        cmocka_unit_test(test_at_most_one_trim_per_interval),
        cmocka_unit_test(test_one_trim_for_two_workers),
        cmocka_unit_test(test_drain_calls_on_empty_once),
        cmocka_unit_test(test_request_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The event loop's passes (events, timers, then deferred work: what the
 * proxy's end-of-pass sends rely on), its cross-thread entry points
 * (bb_loop_post, bb_loop_stop) and snapshot reference counting: what
 * reloads rely on. Run under SAN=1,
 * a lost or doubly freed snapshot shows up as a leak or a use-after-free.
 */
#include "tests/unit/testutil.h"

#include "gateway/io/loop.h"
#include "gateway/state/secrets.h"
#include "gateway/state/snapshot.h"

#include <pthread.h>
#include <unistd.h>

#define POSTS 1000

struct counter {
    int seen[POSTS];
    int n;
    struct bb_loop *loop;
};

struct post {
    struct counter *c;
    int i;
};

static void on_post(struct bb_loop *l, void *arg)
{
    struct post *p = arg;
    p->c->seen[p->c->n++] = p->i;
    if (p->i == POSTS - 1)
        bb_loop_stop(l);
    free(p);
}

static void *poster(void *arg)
{
    struct counter *c = arg;
    for (int i = 0; i < POSTS; i++) {
        struct post *p = malloc(sizeof(*p));
        p->c = c;
        p->i = i;
        assert_int_equal(bb_loop_post(c->loop, on_post, p), 0);
    }
    return NULL;
}

/* Posts from another thread all run, on the loop's thread, in order. */
static void test_post_from_thread(void **state)
{
    (void)state;
    static struct counter c;
    c.loop = bb_loop_new();
    assert_non_null(c.loop);
    pthread_t t;
    pthread_create(&t, NULL, poster, &c);
    assert_int_equal(bb_loop_run(c.loop), 0);
    pthread_join(t, NULL);
    assert_int_equal(c.n, POSTS);
    for (int i = 0; i < POSTS; i++)
        assert_int_equal(c.seen[i], i);
    bb_loop_free(c.loop);
}

static void count_free(struct bb_loop *l, void *arg)
{
    (void)l;
    (*(int *)arg)++;
}

/* Tasks posted after the loop stopped still run when it is freed: a
 * snapshot handed over during shutdown is released, not leaked. */
static void test_post_after_stop_runs_at_free(void **state)
{
    (void)state;
    struct bb_loop *l = bb_loop_new();
    int ran = 0;
    bb_loop_post(l, count_free, &ran);
    bb_loop_post(l, count_free, &ran);
    assert_int_equal(ran, 0);
    bb_loop_free(l);
    assert_int_equal(ran, 2);
}

/* A config shared by two snapshots is freed with the last one only. */
static void test_snapshot_refs(void **state)
{
    (void)state;
    const struct bb_config *cfg = tu_expect_ok("egress_policy:\n  rules:\n"
                                               "    - {host: a.test, action: allow}\n");
    struct bb_diag *d = bb_diag_new();
    struct bb_cfgref *ref = bb_cfgref_new(cfg);
    struct bb_snapshot *s1 = bb_snapshot_new(ref, bb_secrets_load(cfg, d), 1);
    struct bb_snapshot *s2 = bb_snapshot_new(ref, bb_secrets_load(cfg, d), 2);
    bb_cfgref_unref(ref);
    assert_ptr_equal(s1->cfg, cfg);
    assert_ptr_equal(s2->cfg, cfg);
    struct bb_snapshot *pinned = bb_snapshot_ref(s1); /* a request in flight */
    bb_snapshot_unref(s1);
    assert_int_equal(pinned->cfg->egress.nrules, 1); /* still alive */
    bb_snapshot_unref(pinned);
    assert_int_equal(s2->cfg->egress.nrules, 1); /* the config lives on in s2 */
    assert_int_equal(s2->generation, 2);
    bb_snapshot_unref(s2);
    bb_snapshot_unref(NULL);
    bb_diag_free(d);
}

/* One pass: two readable pipes and a due timer, then what they deferred. */
static struct {
    struct bb_io io[2];
    int fds[2][2];
    struct bb_timer t;
    char log[16]; /* E: an event, T: the timer, D: deferred; lower case:
                   * bb_loop_dispatching was false */
    size_t n;
} pass;

static void note(struct bb_loop *l, char c)
{
    pass.log[pass.n++] = bb_loop_dispatching(l) ? c : (char)(c - 'A' + 'a');
}

static void on_deferred(struct bb_loop *l, void *arg)
{
    (void)arg;
    note(l, 'D');
    if (pass.n == 6)
        bb_loop_stop(l);
}

static void on_readable(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    note(l, 'E');
    bb_loop_io_del(l, io);
    assert_int_equal(bb_loop_defer(l, on_deferred, NULL), 0);
}

static void on_due(struct bb_loop *l, struct bb_timer *t)
{
    (void)t;
    note(l, 'T');
    assert_int_equal(bb_loop_defer(l, on_deferred, NULL), 0);
}

/* Work deferred by an event runs after every event and timer of its pass,
 * and bb_loop_dispatching tells the two apart. */
static void test_deferred_after_the_pass(void **state)
{
    (void)state;
    struct bb_loop *l = bb_loop_new();
    assert_non_null(l);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pipe(pass.fds[i]), 0);
        assert_int_equal(write(pass.fds[i][1], "x", 1), 1);
        assert_int_equal(bb_loop_io_add(l, &pass.io[i], pass.fds[i][0], EPOLLIN, on_readable), 0);
    }
    bb_loop_timer_set(l, &pass.t, 0, on_due);
    assert_false(bb_loop_dispatching(l));
    assert_int_equal(bb_loop_run(l), 0);
    assert_string_equal(pass.log, "EETddd");
    assert_false(bb_loop_dispatching(l));
    bb_loop_free(l);
    for (int i = 0; i < 2; i++) {
        close(pass.fds[i][0]);
        close(pass.fds[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deferred_after_the_pass),
        cmocka_unit_test(test_post_from_thread),
        cmocka_unit_test(test_post_after_stop_runs_at_free),
        cmocka_unit_test(test_snapshot_refs),
    };
    return cmocka_run_group_tests_name("gateway/loop", tests, NULL, NULL);
}

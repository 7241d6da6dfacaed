/*
 * Event loop (see loop.h). The stop request is an eventfd registered like
 * any other fd, so a stop from another thread wakes epoll_wait at once.
 */
#include "gateway/io/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define BB_LOOP_MAX_WAIT_MS 1000 /* epoll_wait bound when no timer is armed */

struct deferred {
    bb_defer_cb fn;
    void *arg;
};

struct bb_loop {
    int epfd;
    struct bb_io stop_io;
    struct bb_io post_io;
    pthread_mutex_t post_lock;
    struct deferred *posted; /* under post_lock */
    size_t nposted, capposted;
    volatile int stopping;
    uint64_t now;
    struct bb_timer **heap;
    size_t nheap, capheap;
    struct deferred *defer;
    size_t ndefer, capdefer;
    bool dispatching; /* handling this iteration's events and timers */
};

static uint64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_stop(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    uint64_t v;
    if (read(io->fd, &v, sizeof(v)) < 0) {
        /* nothing to do: the flag below is what counts */
    }
    l->stopping = 1;
}

static void run_posted(struct bb_loop *l);

/* Runs what other threads posted, outside the lock. */
static void on_post(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    uint64_t v;
    if (read(io->fd, &v, sizeof(v)) < 0) {
        /* spurious wake-up: the queue below is what counts */
    }
    run_posted(l);
}

static void run_posted(struct bb_loop *l)
{
    pthread_mutex_lock(&l->post_lock);
    struct deferred *tasks = l->posted;
    size_t n = l->nposted;
    l->posted = NULL;
    l->nposted = l->capposted = 0;
    pthread_mutex_unlock(&l->post_lock);
    for (size_t i = 0; i < n; i++)
        tasks[i].fn(l, tasks[i].arg);
    free(tasks);
}

int bb_loop_post(struct bb_loop *l, bb_defer_cb fn, void *arg)
{
    pthread_mutex_lock(&l->post_lock);
    if (l->nposted == l->capposted) {
        size_t cap = l->capposted ? l->capposted * 2 : 16;
        struct deferred *d = realloc(l->posted, cap * sizeof(*d));
        if (d == NULL) {
            pthread_mutex_unlock(&l->post_lock);
            return -1;
        }
        l->posted = d;
        l->capposted = cap;
    }
    l->posted[l->nposted++] = (struct deferred){fn, arg};
    pthread_mutex_unlock(&l->post_lock);
    uint64_t one = 1;
    if (write(l->post_io.fd, &one, sizeof(one)) < 0) {
        /* the counter is full: a wake-up is already pending */
    }
    return 0;
}

static int add_eventfd(struct bb_loop *l, struct bb_io *io, bb_io_cb cb)
{
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
        return -1;
    if (bb_loop_io_add(l, io, efd, EPOLLIN, cb) != 0) {
        close(efd);
        return -1;
    }
    return 0;
}

struct bb_loop *bb_loop_new(void)
{
    struct bb_loop *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    pthread_mutex_init(&l->post_lock, NULL);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0 || add_eventfd(l, &l->stop_io, on_stop) != 0) {
        if (l->epfd >= 0)
            close(l->epfd);
        free(l);
        return NULL;
    }
    if (add_eventfd(l, &l->post_io, on_post) != 0) {
        close(l->stop_io.fd);
        close(l->epfd);
        free(l);
        return NULL;
    }
    l->now = clock_ms();
    return l;
}

void bb_loop_free(struct bb_loop *l)
{
    if (l == NULL)
        return;
    run_posted(l); /* whatever was handed over late still runs (releases refs) */
    bb_loop_run_deferred(l);
    close(l->stop_io.fd);
    close(l->post_io.fd);
    pthread_mutex_destroy(&l->post_lock);
    free(l->posted);
    close(l->epfd);
    free(l->heap);
    free(l->defer);
    free(l);
}

/* ---- I/O ---- */

int bb_loop_io_add(struct bb_loop *l, struct bb_io *io, int fd, uint32_t events, bb_io_cb cb)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    io->fd = fd;
    io->cb = cb;
    io->events = events;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return -1;
    io->added = true;
    return 0;
}

int bb_loop_io_set(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    if (!io->added || io->events == events)
        return 0;
    struct epoll_event ev = {.events = events, .data.ptr = io};
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) != 0)
        return -1;
    io->events = events;
    return 0;
}

void bb_loop_io_del(struct bb_loop *l, struct bb_io *io)
{
    if (!io->added)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->added = false;
}

void bb_loop_io_forget(struct bb_io *io)
{
    io->added = false;
}

/* ---- timers: binary min-heap on `when` ---- */

static void heap_swap(struct bb_loop *l, size_t a, size_t b)
{
    struct bb_timer *t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->slot = a + 1;
    l->heap[b]->slot = b + 1;
}

static void heap_up(struct bb_loop *l, size_t i)
{
    while (i > 0 && l->heap[(i - 1) / 2]->when > l->heap[i]->when) {
        heap_swap(l, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct bb_loop *l, size_t i)
{
    for (;;) {
        size_t m = i, a = 2 * i + 1, b = 2 * i + 2;
        if (a < l->nheap && l->heap[a]->when < l->heap[m]->when)
            m = a;
        if (b < l->nheap && l->heap[b]->when < l->heap[m]->when)
            m = b;
        if (m == i)
            return;
        heap_swap(l, i, m);
        i = m;
    }
}

void bb_loop_timer_cancel(struct bb_loop *l, struct bb_timer *t)
{
    if (t->slot == 0)
        return;
    size_t i = t->slot - 1;
    t->slot = 0;
    l->nheap--;
    if (i == l->nheap)
        return;
    l->heap[i] = l->heap[l->nheap];
    l->heap[i]->slot = i + 1;
    heap_down(l, i);
    heap_up(l, i);
}

void bb_loop_timer_set(struct bb_loop *l, struct bb_timer *t, uint64_t ms, bb_timer_cb cb)
{
    bb_loop_timer_cancel(l, t);
    if (l->nheap == l->capheap) {
        size_t cap = l->capheap ? l->capheap * 2 : 64;
        struct bb_timer **h = realloc(l->heap, cap * sizeof(*h));
        if (h == NULL)
            abort(); /* XXX: a timer that cannot be armed would hang a connection forever */
        l->heap = h;
        l->capheap = cap;
    }
    t->when = l->now + ms;
    t->cb = cb;
    l->heap[l->nheap] = t;
    t->slot = ++l->nheap;
    heap_up(l, l->nheap - 1);
}

static void run_timers(struct bb_loop *l)
{
    while (l->nheap > 0 && l->heap[0]->when <= l->now) {
        struct bb_timer *t = l->heap[0];
        bb_loop_timer_cancel(l, t);
        t->cb(l, t);
    }
}

static int wait_ms(const struct bb_loop *l)
{
    if (l->ndefer > 0)
        return 0;
    if (l->nheap == 0)
        return BB_LOOP_MAX_WAIT_MS;
    uint64_t when = l->heap[0]->when;
    if (when <= l->now)
        return 0;
    uint64_t d = when - l->now;
    return d > BB_LOOP_MAX_WAIT_MS ? BB_LOOP_MAX_WAIT_MS : (int)d;
}

/* ---- deferred work ---- */

int bb_loop_defer(struct bb_loop *l, bb_defer_cb fn, void *arg)
{
    if (l->ndefer == l->capdefer) {
        size_t cap = l->capdefer ? l->capdefer * 2 : 64;
        struct deferred *d = realloc(l->defer, cap * sizeof(*d));
        if (d == NULL)
            return -1;
        l->defer = d;
        l->capdefer = cap;
    }
    l->defer[l->ndefer++] = (struct deferred){fn, arg};
    return 0;
}

void bb_loop_run_deferred(struct bb_loop *l)
{
    /* Deferred work may defer more; run until none is left. */
    for (size_t i = 0; i < l->ndefer; i++)
        l->defer[i].fn(l, l->defer[i].arg);
    l->ndefer = 0;
}

bool bb_loop_dispatching(const struct bb_loop *l)
{
    return l->dispatching;
}

uint64_t bb_loop_now(const struct bb_loop *l)
{
    return l->now;
}

int bb_loop_run(struct bb_loop *l)
{
    struct epoll_event ev[BB_LOOP_MAX_EVENTS];
    while (!l->stopping) {
        int n = epoll_wait(l->epfd, ev, BB_LOOP_MAX_EVENTS, wait_ms(l));
        if (n < 0 && errno != EINTR)
            return -1;
        l->now = clock_ms();
        l->dispatching = true;
        for (int i = 0; i < n; i++) {
            struct bb_io *io = ev[i].data.ptr;
            if (io->added)
                io->cb(l, io, ev[i].events);
        }
        run_timers(l);
        l->dispatching = false;
        bb_loop_run_deferred(l);
    }
    return 0;
}

void bb_loop_stop(struct bb_loop *l)
{
    uint64_t one = 1;
    if (write(l->stop_io.fd, &one, sizeof(one)) < 0) {
        /* the counter is full: a stop is already pending */
    }
}

static void *thread_main(void *arg)
{
    bb_loop_run(arg);
    return NULL;
}

int bb_loop_thread_start(struct bb_loop *l, pthread_t *t)
{
    return pthread_create(t, NULL, thread_main, l) == 0 ? 0 : -1;
}

void bb_loop_thread_join(struct bb_loop *l, pthread_t t)
{
    bb_loop_stop(l);
    pthread_join(t, NULL);
}

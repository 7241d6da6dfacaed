/*
 * Event loop: one per worker thread, nothing shared (redis's ae, reduced).
 *
 *  - I/O: a struct bb_io embedded in the owner; epoll's data points at it.
 *    bb_loop_io_set is the one place interest changes happen, and it only
 *    calls epoll_ctl when the interest really changed.
 *  - timers: a min-heap of struct bb_timer, millisecond resolution, on a
 *    monotonic clock cached once per iteration.
 *  - deferred work: callbacks queued with bb_loop_defer run after every
 *    event of the current iteration has been handled; owners free
 *    themselves there, never inside their own I/O callback (an event for
 *    the same object may still be pending in this batch).
 *  - bb_loop_post and bb_loop_stop may be called from any thread; both wake
 *    the loop through an eventfd.
 *
 * Error convention: 0 / -1 + errno.
 */
#ifndef BB_LOOP_H
#define BB_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#define BB_LOOP_MAX_EVENTS 256 /* events fetched per epoll_wait */

struct bb_loop;
struct bb_io;
struct bb_timer;

typedef void (*bb_io_cb)(struct bb_loop *l, struct bb_io *io, uint32_t events);
typedef void (*bb_timer_cb)(struct bb_loop *l, struct bb_timer *t);
typedef void (*bb_defer_cb)(struct bb_loop *l, void *arg);

struct bb_io {
    int fd;
    uint32_t events; /* registered interest */
    bool added;
    bb_io_cb cb;
};

struct bb_timer {
    uint64_t when; /* ms on the loop clock */
    size_t slot;   /* heap index + 1; 0 = not armed */
    bb_timer_cb cb;
};

struct bb_loop *bb_loop_new(void);
void bb_loop_free(struct bb_loop *l);

/* Registers fd with interest `events` (EPOLLIN/EPOLLOUT...). */
int bb_loop_io_add(struct bb_loop *l, struct bb_io *io, int fd, uint32_t events, bb_io_cb cb);
/* Changes the interest (no syscall when unchanged). */
int bb_loop_io_set(struct bb_loop *l, struct bb_io *io, uint32_t events);
/* Unregisters (the caller closes the fd). Safe on a never-added io. */
void bb_loop_io_del(struct bb_loop *l, struct bb_io *io);
/* For an fd about to be closed: close() takes it out of the epoll set (it
 * is never duplicated), so the EPOLL_CTL_DEL is saved. */
void bb_loop_io_forget(struct bb_io *io);

/* Arms (or re-arms) t to fire after ms milliseconds. */
void bb_loop_timer_set(struct bb_loop *l, struct bb_timer *t, uint64_t ms, bb_timer_cb cb);
void bb_loop_timer_cancel(struct bb_loop *l, struct bb_timer *t);
static inline bool bb_timer_armed(const struct bb_timer *t)
{
    return t->slot != 0;
}

/* Runs fn(l, arg) after the current iteration's events. Returns -1 only on
 * out-of-memory. */
int bb_loop_defer(struct bb_loop *l, bb_defer_cb fn, void *arg);

/* True while the loop hands out this iteration's events and timers (before
 * the deferred queue runs). */
bool bb_loop_dispatching(const struct bb_loop *l);

/* Runs fn(l, arg) on the loop's own thread soon; callable from any thread
 * (how the control thread hands snapshots and commands to workers).
 * Returns 0, or -1 on out-of-memory. */
int bb_loop_post(struct bb_loop *l, bb_defer_cb fn, void *arg);

/* Runs the deferred queue now (teardown, after the last iteration). */
void bb_loop_run_deferred(struct bb_loop *l);

/* The loop clock (ms, monotonic), refreshed once per iteration. */
uint64_t bb_loop_now(const struct bb_loop *l);

/* Runs until bb_loop_stop. Returns 0, or -1 if epoll fails. */
int bb_loop_run(struct bb_loop *l);
void bb_loop_stop(struct bb_loop *l);

/* Runs l in a new thread (the workers, the verdict thread, the DNS
 * forwarder). 0 or -1. */
int bb_loop_thread_start(struct bb_loop *l, pthread_t *t);
/* Stops that loop and joins its thread. */
void bb_loop_thread_join(struct bb_loop *l, pthread_t t);

#endif

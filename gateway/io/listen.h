/*
 * Listening TCP sockets: the proxy listeners (one set per worker) and the
 * control thread's metrics listener.
 */
#ifndef BB_LISTEN_H
#define BB_LISTEN_H

#include <stdint.h>

#define BB_LISTEN_BACKLOG 1024

enum {
    BB_LISTEN_REUSEPORT = 1 << 0,   /* one socket per worker, the kernel spreads */
    BB_LISTEN_TRANSPARENT = 1 << 1, /* IP_TRANSPARENT: tproxy delivers only to these */
};

/* A nonblocking, close-on-exec socket bound to addr (an IP literal) and
 * listening. Returns the fd, or -1 with errno. */
int bb_listen(const char *addr, uint16_t port, int flags);

#endif

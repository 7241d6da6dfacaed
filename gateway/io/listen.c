/*
 * Listening sockets (see listen.h).
 */
#include "gateway/io/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* addr:port as a sockaddr; the family follows from the literal. */
static socklen_t make_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(addr, ':') == NULL) {
        struct sockaddr_in *s = (struct sockaddr_in *)ss;
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        return inet_pton(AF_INET, addr, &s->sin_addr) == 1 ? sizeof(*s) : 0;
    }
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    return inet_pton(AF_INET6, addr, &s->sin6_addr) == 1 ? sizeof(*s) : 0;
}

int bb_listen(const char *addr, uint16_t port, int flags)
{
    struct sockaddr_storage ss;
    socklen_t sl = make_addr(addr, port, &ss);
    if (sl == 0) {
        errno = EINVAL;
        return -1;
    }
    int family = ss.ss_family, one = 1;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (flags & BB_LISTEN_REUSEPORT)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    /* Needs CAP_NET_ADMIN; without it only explicit-proxy clients work. */
    if ((flags & BB_LISTEN_TRANSPARENT) && family == AF_INET)
        setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
    else if (flags & BB_LISTEN_TRANSPARENT)
        setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, BB_LISTEN_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    /* Delayed ACKs from the first byte: a request's ACK then rides on the
     * answer instead of going alone (one packet fewer per connection; what
     * HAProxy's tcp-smart-accept does). Accepted sockets inherit it. After
     * listen(), which clears the ACK state. */
    int zero = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero));
    /* No Nagle toward clients (inherited too): an answer's last small
     * segment would otherwise wait for the ACK of the data before it,
     * which the client may delay by 40 ms. Our writes are whole answers or
     * large pieces of one, so there is nothing for Nagle to coalesce. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

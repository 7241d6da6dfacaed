/*
 * Address formatting (see netaddr.h).
 */
#include "common/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

void bb_addr_format(int family, const void *addr, int port, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(family, addr, ip, sizeof(ip));
    const char *open = family == AF_INET6 ? "[" : "", *close = family == AF_INET6 ? "]" : "";
    if (port >= 0)
        snprintf(out, cap, "%s%s%s:%d", open, ip, close, port);
    else
        snprintf(out, cap, "%s%s%s", open, ip, close);
}

void bb_sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        bb_addr_format(AF_INET, &s->sin_addr, ntohs(s->sin_port), out, cap);
    } else {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        bb_addr_format(AF_INET6, &s->sin6_addr, ntohs(s->sin6_port), out, cap);
    }
}

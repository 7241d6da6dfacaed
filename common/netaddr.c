/*
 * Address formatting (see netaddr.h).
 */
#include "common/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

/* Without printf: the verdict thread formats two addresses per packet. */
void bb_addr_format(int family, const void *addr, int port, char *out, size_t cap)
{
    char buf[INET6_ADDRSTRLEN + 8];
    size_t n = 0;
    bool v6 = family == AF_INET6;
    if (v6)
        buf[n++] = '[';
    if (inet_ntop(family, addr, buf + n, INET6_ADDRSTRLEN) != NULL)
        n += strlen(buf + n);
    else
        buf[n++] = '?';
    if (v6)
        buf[n++] = ']';
    if (port >= 0 && port <= 65535) {
        char digits[5];
        size_t d = 0;
        do
            digits[d++] = (char)('0' + port % 10);
        while ((port /= 10) > 0);
        buf[n++] = ':';
        while (d > 0)
            buf[n++] = digits[--d];
    }
    if (cap == 0)
        return;
    n = n < cap - 1 ? n : cap - 1;
    memcpy(out, buf, n);
    out[n] = '\0';
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

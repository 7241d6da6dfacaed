/*
 * Address formatting (see netaddr.h).
 */
#include "common/netaddr.h"

#include "common/buf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Without printf: the verdict thread formats two addresses per packet. */
void bb_addr_format(int family, const void *addr, int port, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN], mem[INET6_ADDRSTRLEN + 8];
    bool v6 = family == AF_INET6;
    struct bb_buf b;
    bb_buf_wrap(&b, mem, sizeof(mem)); /* room for "[ip]:65535": nothing fails */
    if (family == AF_INET) {
        /* Dotted quad by hand: glibc's inet_ntop prints IPv4 with sprintf. */
        const uint8_t *q = addr;
        for (int i = 0; i < 4; i++)
            (void)(bb_buf_append(&b, ".", i > 0) | bb_buf_append_u64(&b, q[i]));
    } else {
        const char *text = inet_ntop(family, addr, ip, sizeof(ip)) != NULL ? ip : "?";
        (void)(bb_buf_append(&b, "[", v6) | bb_buf_append(&b, text, strlen(text)) |
               bb_buf_append(&b, "]", v6));
    }
    if (port >= 0 && port <= 65535)
        (void)(bb_buf_append(&b, ":", 1) | bb_buf_append_u64(&b, (uint64_t)port));
    if (cap == 0)
        return;
    size_t n = bb_buf_size(&b) < cap - 1 ? bb_buf_size(&b) : cap - 1;
    memcpy(out, mem, n);
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

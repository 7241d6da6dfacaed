/*
 * Addresses as audit lines write them (docs/reference.md §6): "ip:port", IPv6 in
 * brackets ("[fd00::1]:443"); without a port, "ip" or "[ip6]".
 */
#ifndef BB_NETADDR_H
#define BB_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

#define BB_NETADDR_MAX 64 /* "[" INET6_ADDRSTRLEN "]:65535" fits */

/* addr: 4 (AF_INET) or 16 (AF_INET6) bytes; port < 0: none. */
void bb_addr_format(int family, const void *addr, int port, char *out, size_t cap);

/* The same from a socket address. */
void bb_sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t cap);

#endif

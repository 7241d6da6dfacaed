/*
 * libFuzzer target: NFQUEUE packet decoding. Invariants: a decoded packet
 * is IPv4 or IPv6, its upper-layer offset lies within the bytes given, the
 * ports or ICMP fields are set only when their bytes are there, and never
 * for a later fragment. (ASan checks every read against the buffer.)
 */
#include "gateway/flows/pkt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past the end. */
    uint8_t *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    struct bb_pkt k;
    const char *why;
    int rc = bb_pkt_decode(p, size, &k, &why);
    if (rc == 0) {
        if (k.family != AF_INET && k.family != AF_INET6)
            __builtin_trap();
        if (k.l4_off > size || why != NULL)
            __builtin_trap();
        if ((k.has_ports || k.has_icmp) && k.later_fragment)
            __builtin_trap();
        if (k.has_ports && size - k.l4_off < 4)
            __builtin_trap();
        if (k.has_icmp && size - k.l4_off < 2)
            __builtin_trap();
    } else if (why == NULL) {
        __builtin_trap();
    }
    free(p);
    return 0;
}

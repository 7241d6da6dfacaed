/*
 * libFuzzer target: host normalisation. The first byte picks the flags.
 * Invariants: a normalised name is short, lower-case and made of allowed
 * characters, and normalising it again gives the same name.
 */
#include "policy/host.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int allowed(char c, enum bb_host_kind kind)
{
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')
        return 1;
    if (kind == BB_HOST_IPV6 && c == ':')
        return 1;
    return kind == BB_HOST_WILDCARD && c == '*';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned flags = data[0] & (BB_HOST_WILDCARD | BB_HOST_NO_PORT);
    struct bb_host h, again;
    if (bb_host_parse((const char *)data + 1, size - 1, flags, &h) != NULL)
        return 0;
    if (h.len == 0 || h.len > BB_HOST_MAX || strlen(h.name) != h.len)
        __builtin_trap();
    for (size_t i = 0; i < h.len; i++)
        if (!allowed(h.name[i], h.kind))
            __builtin_trap();
    if ((flags & BB_HOST_NO_PORT) && h.port != 0)
        __builtin_trap();
    if (bb_host_parse(h.name, h.len, flags, &again) != NULL || strcmp(again.name, h.name) != 0 ||
        again.kind != h.kind)
        __builtin_trap();
    char auth[BB_HOST_MAX + 16];
    if (bb_host_format_authority(&h, 443, auth, sizeof(auth)) < 0)
        __builtin_trap();
    return 0;
}

/*
 * libFuzzer target: request path normalisation. Invariants: the output is
 * never longer than the input, starts with '/', has no dot segments, no
 * empty segments and no ambiguous escapes, and is a fixed point.
 */
#include "policy/path.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[BB_PATH_MAX + 1], again[BB_PATH_MAX + 1];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t outlen, pathlen, len2, path2;
    if (bb_path_normalize((const char *)data, size, out, sizeof(out), &outlen, &pathlen) != NULL)
        return 0;
    if (outlen > size || pathlen > outlen || out[0] != '/' || strlen(out) != outlen)
        __builtin_trap();
    if (memmem(out, pathlen, "/./", 3) || memmem(out, pathlen, "/../", 4) ||
        memmem(out, pathlen, "//", 2) || memmem(out, pathlen, "%2E", 3) ||
        memmem(out, pathlen, "%2F", 3))
        __builtin_trap();
    if (bb_path_normalize(out, outlen, again, sizeof(again), &len2, &path2) != NULL ||
        len2 != outlen || memcmp(out, again, outlen) != 0)
        __builtin_trap();
    return 0;
}

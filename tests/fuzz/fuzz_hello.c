/*
 * libFuzzer target: ClientHello peek. Invariants: an accepted SNI obeys
 * the SNI rules and is lower case; the records it spans lie within the
 * input; a prefix of an accepted hello is never accepted with other
 * results (only MORE or the same answer).
 */
#include "tls/hello.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    struct bb_hello h, h2;
    const char *why;
    enum bb_hello_result r = bb_hello_parse(p, size, &h, &why);
    if (r == BB_HELLO_BAD && why == NULL)
        __builtin_trap();
    if (r == BB_HELLO_OK) {
        if (h.record_bytes > size)
            __builtin_trap();
        if (h.sni_ok &&
            (!h.has_sni || !bb_sni_valid(h.sni, h.sni_len) || strlen(h.sni) != h.sni_len))
            __builtin_trap();
        for (size_t i = 0; h.sni_ok && i < h.sni_len; i++)
            if (h.sni[i] >= 'A' && h.sni[i] <= 'Z')
                __builtin_trap();
        /* the same records alone give the same answer */
        if (bb_hello_parse(p, h.record_bytes, &h2, &why) != BB_HELLO_OK || h2.sni_ok != h.sni_ok ||
            strcmp(h2.sni, h.sni) != 0)
            __builtin_trap();
        if (h.record_bytes > 0 && bb_hello_parse(p, h.record_bytes - 1, &h2, &why) != BB_HELLO_MORE)
            __builtin_trap();
    }
    free(p);
    return 0;
}

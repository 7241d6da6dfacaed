/*
 * The reference the streaming substitution (gateway/cred/subst.c) is
 * checked against, by the unit tests and by fuzz_subst: the whole input
 * at once, byte by byte, the longest pattern matching at each byte (the
 * first listed among equals), as slow and as obvious as possible.
 */
#ifndef BB_SUBST_REF_H
#define BB_SUBST_REF_H

#include "common/buf.h"
#include "gateway/cred/subst.h"

#include <string.h>

/* Appends the result to out; returns the refusing pattern's tag, or -1. */
static inline int bb_subst_ref(const struct bb_subst_pat *pats, size_t npats, const char *in,
                               size_t len, struct bb_buf *out, uint32_t *hits)
{
    for (size_t i = 0; i < len;) {
        const struct bb_subst_pat *bk = NULL;
        for (size_t k = 0; k < npats; k++)
            if (pats[k].from_len <= len - i &&
                memcmp(in + i, pats[k].from, pats[k].from_len) == 0 &&
                (bk == NULL || pats[k].from_len > bk->from_len))
                bk = &pats[k];
        if (bk == NULL) {
            if (bb_buf_append(out, in + i, 1) != 0)
                return -2;
            i++;
            continue;
        }
        if (bk->refuse)
            return bk->tag;
        if (bb_buf_append(out, bk->to, bk->to_len) != 0)
            return -2;
        (*hits)++;
        i += bk->from_len;
    }
    return -1;
}

#endif

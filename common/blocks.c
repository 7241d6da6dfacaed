/*
 * Blocks (see blocks.h).
 */
#include "common/blocks.h"

#include <stdlib.h>

void *bb_block_get(struct bb_blocks *l, size_t n)
{
    if (n > BB_BLOCK_SIZE)
        return malloc(n);
    void *p = l->free;
    if (p == NULL)
        return malloc(BB_BLOCK_SIZE);
    l->free = *(void **)p;
    l->nfree--;
    return p;
}

void bb_block_put(struct bb_blocks *l, void *p, size_t n)
{
    if (p == NULL)
        return;
    if (n > BB_BLOCK_SIZE || l->nfree >= BB_BLOCKS_KEPT) {
        free(p);
        return;
    }
    *(void **)p = l->free;
    l->free = p;
    l->nfree++;
}

void bb_blocks_free(struct bb_blocks *l)
{
    while (l->free != NULL) {
        void *p = l->free;
        l->free = *(void **)p;
        free(p);
    }
    l->nfree = 0;
}

/*
 * Batched NFQUEUE verdicts (see vbatch.h).
 */
#include "gateway/flows/vbatch.h"

#include <linux/netfilter.h>

void bb_vbatch_flush(struct bb_vbatch *b)
{
    if (b->pending)
        b->send(b->ctx, b->drop_upto, NF_DROP, true);
    b->pending = false;
}

void bb_vbatch_add(struct bb_vbatch *b, uint32_t id, int verdict)
{
    if (verdict == NF_DROP) {
        b->drop_upto = id;
        b->pending = true;
        return;
    }
    b->send(b->ctx, id, verdict, false);
}

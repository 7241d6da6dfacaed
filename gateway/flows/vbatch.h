/*
 * Verdicts for the packets taken at one readiness event of the NFQUEUE
 * socket (up to BB_NFQ_BATCH), in as few netlink messages as they allow.
 * The kernel hands packets over in increasing id order, and a batch
 * verdict (NFQNL_MSG_VERDICT_BATCH) applies to every packet still queued
 * with an id up to the one it names. Drops are therefore collected and
 * sent as one message at the end of the event; an accept goes at once,
 * alone. A verdict takes its packet out of the queue when the kernel
 * receives it, so the later batch cannot reach an accepted packet. A flood
 * of denied flows costs one sendto per event instead of one per packet.
 *
 * A packet whose message the kernel could not deliver (socket overrun) is
 * still queued with a lower id; the next batch drop takes it too: fail
 * closed, as before.
 */
#ifndef BB_VBATCH_H
#define BB_VBATCH_H

#include <stdbool.h>
#include <stdint.h>

/* send(ctx, id, verdict, batch): one verdict message; batch = every queued
 * packet up to id. */
typedef void (*bb_vbatch_send_fn)(void *ctx, uint32_t id, int verdict, bool batch);

struct bb_vbatch {
    bb_vbatch_send_fn send;
    void *ctx;
    uint32_t drop_upto; /* highest id of the pending drops */
    bool pending;
};

/* The verdict for packet id (NF_DROP or NF_ACCEPT), in arrival order. */
void bb_vbatch_add(struct bb_vbatch *b, uint32_t id, int verdict);
/* Sends the pending drops, if any (at the end of the event). */
void bb_vbatch_flush(struct bb_vbatch *b);

#endif

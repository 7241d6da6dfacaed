/*
 * Blocks: a single thread's free list of fixed-size memory blocks, for
 * memory that lives as long as one request (a worker's copies of request
 * and response heads). A request takes a block and gives it back at its
 * end, so a busy worker reuses a handful of blocks instead of calling
 * malloc and free per request, and an idle connection holds none.
 *
 * Bounds: a request larger than BB_BLOCK_SIZE gets an allocation of its
 * own (freed when given back); at most BB_BLOCKS_KEPT free blocks are kept,
 * more are freed. Not thread-safe: one list per thread.
 */
#ifndef BB_BLOCKS_H
#define BB_BLOCKS_H

#include <stddef.h>

#define BB_BLOCK_SIZE  4096u /* bytes per block: most heads fit */
#define BB_BLOCKS_KEPT 256u  /* free blocks kept per list (1 MiB) */

struct bb_blocks {
    void *free; /* the first free block; each starts with the next's address */
    size_t nfree;
};

/* n bytes (n > 0): a block when n <= BB_BLOCK_SIZE, else an allocation of
 * n. NULL when memory ran out. Give it back with bb_block_put(l, p, n). */
void *bb_block_get(struct bb_blocks *l, size_t n);
/* Gives back what bb_block_get(l, n) returned; NULL is fine. */
void bb_block_put(struct bb_blocks *l, void *p, size_t n);
/* Frees the kept blocks. */
void bb_blocks_free(struct bb_blocks *l);

#endif

/*
 * Slab: a single thread's allocator of fixed-size objects (a worker's
 * connection structs), kept apart from the C allocator's heap.
 *
 * Why: objects that live long (an idle connection's struct) and buffers
 * that come and go (its 16 KiB input buffer, freed after 1 s idle) used to
 * alternate in one heap. The freed buffers' memory then lay in holes
 * between the structs, and the pages at each hole's edges stayed resident
 * (0.5 KiB per idle connection in make bench's e).
 * Here the objects fill slabs of BB_SLAB_BYTES of their own, mapped from
 * the system; a slab whose objects have all been given back is unmapped
 * (one is kept, so that a connection opened and closed over and over does
 * not map and unmap each time).
 *
 * Objects come from the first slab of the list of slabs with room, and a
 * full slab that gets one back goes to the front: holes are filled before
 * fresh memory is touched. Objects are 16-byte aligned and not zeroed.
 * Under AddressSanitizer or valgrind a given-back object is marked
 * unaddressable until it is taken again, so a use after free is still
 * reported.
 *
 * Bounds: an object is at most BB_SLAB_OBJ_MAX bytes (bb_slab_get of a
 * larger size returns NULL, as out of memory). Not thread-safe: one slab
 * allocator per thread.
 */
#ifndef BB_SLAB_H
#define BB_SLAB_H

#include <stddef.h>
#include <sys/queue.h>

#define BB_SLAB_BYTES   (256u * 1024) /* one mapping, aligned to its size */
#define BB_SLAB_OBJ_MAX (16u * 1024)  /* larger objects belong in malloc */

struct bb_slab_page;

struct bb_slab {
    size_t size;                       /* object size, rounded up to 16 */
    LIST_HEAD(, bb_slab_page) partial; /* slabs with a free object */
    struct bb_slab_page *empty;        /* the one empty slab kept, or NULL */
    size_t pages;                      /* slabs mapped, the empty one included */
};

/* An allocator of objects of size bytes (0 < size <= BB_SLAB_OBJ_MAX). */
void bb_slab_init(struct bb_slab *s, size_t size);
/* An object (uninitialised), or NULL when memory ran out. */
void *bb_slab_get(struct bb_slab *s);
/* Gives back an object s gave; NULL is fine. */
void bb_slab_put(struct bb_slab *s, void *obj);
/* Unmaps the kept empty slab. Slabs with objects still out stay mapped. */
void bb_slab_trim(struct bb_slab *s);

#endif

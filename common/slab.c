/*
 * Slab (see slab.h). Each slab is one mapping of BB_SLAB_BYTES, aligned to
 * its size, so that an object's slab is its address rounded down. The
 * slab's header is at its start; objects follow. Objects never handed out
 * are taken in order (fresh), so a new slab's pages are touched only as it
 * fills; given-back objects go on the slab's own free list.
 */
#include "common/slab.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HIDE(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SHOW(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define HIDE(p, n) ((void)(p), (void)(n))
#define SHOW(p, n) ((void)(p), (void)(n))
#endif

/* Under valgrind, objects are heap blocks to memcheck: a use after free, an
 * uninitialised read or a leaked object is reported as for malloc's. The
 * macros cost a few instructions otherwise. */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MALLOCLIKE_BLOCK(p, n, rz, z) ((void)0)
#define VALGRIND_FREELIKE_BLOCK(p, rz)         ((void)0)
#define VALGRIND_MAKE_MEM_DEFINED(p, n)        ((void)0)
#endif

struct bb_slab_page {
    LIST_ENTRY(bb_slab_page) link; /* in the list of slabs with room */
    void *free;                    /* given back; each holds the next's address */
    unsigned fresh;                /* objects never handed out start here */
    unsigned used;
};

#define HDR ((sizeof(struct bb_slab_page) + 15u) & ~(size_t)15u)

static unsigned capacity(const struct bb_slab *s)
{
    return (unsigned)((BB_SLAB_BYTES - HDR) / s->size);
}

static struct bb_slab_page *page_of(void *obj)
{
    return (struct bb_slab_page *)((uintptr_t)obj & ~(uintptr_t)(BB_SLAB_BYTES - 1));
}

/* A zeroed slab aligned to its size: twice the size is mapped, and what
 * lies outside the aligned part is unmapped again. */
static struct bb_slab_page *map_page(void)
{
    char *m =
        mmap(NULL, 2 * BB_SLAB_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uintptr_t a = ((uintptr_t)m + BB_SLAB_BYTES - 1) & ~(uintptr_t)(BB_SLAB_BYTES - 1);
    size_t head = a - (uintptr_t)m;
    if (head > 0)
        munmap(m, head);
    munmap((char *)a + BB_SLAB_BYTES, BB_SLAB_BYTES - head);
    return (struct bb_slab_page *)a;
}

void bb_slab_init(struct bb_slab *s, size_t size)
{
    *s = (struct bb_slab){.size = (size + 15u) & ~(size_t)15u};
}

/* A slab with room: the list's first, else the kept empty one, else new. */
static struct bb_slab_page *page_with_room(struct bb_slab *s)
{
    if (!LIST_EMPTY(&s->partial))
        return LIST_FIRST(&s->partial);
    struct bb_slab_page *pg = s->empty;
    if (pg != NULL) {
        s->empty = NULL;
    } else {
        pg = map_page();
        if (pg == NULL)
            return NULL;
        s->pages++;
    }
    LIST_INSERT_HEAD(&s->partial, pg, link);
    return pg;
}

void *bb_slab_get(struct bb_slab *s)
{
    if (s->size == 0 || s->size > BB_SLAB_OBJ_MAX)
        return NULL; /* uninitialised, or an object that belongs in malloc */
    struct bb_slab_page *pg = page_with_room(s);
    if (pg == NULL)
        return NULL;
    void *obj = pg->free;
    if (obj != NULL) {
        SHOW(obj, s->size);
        VALGRIND_MAKE_MEM_DEFINED(obj, sizeof(void *));
        pg->free = *(void **)obj;
    } else {
        obj = (char *)pg + HDR + (size_t)pg->fresh++ * s->size;
    }
    if (++pg->used == capacity(s))
        LIST_REMOVE(pg, link); /* full: off the list until an object comes back */
    VALGRIND_MALLOCLIKE_BLOCK(obj, s->size, 0, 0);
    return obj;
}

void bb_slab_put(struct bb_slab *s, void *obj)
{
    if (obj == NULL)
        return;
    struct bb_slab_page *pg = page_of(obj);
    bool was_full = pg->used == capacity(s);
    VALGRIND_FREELIKE_BLOCK(obj, 0);
    VALGRIND_MAKE_MEM_DEFINED(obj, sizeof(void *));
    *(void **)obj = pg->free;
    pg->free = obj;
    HIDE(obj, s->size);
    pg->used--;
    if (was_full)
        LIST_INSERT_HEAD(&s->partial, pg, link);
    if (pg->used > 0)
        return;
    /* Empty: kept if none is, else unmapped. A kept slab starts over, so
     * that its given-back (hidden) objects are not read again. */
    LIST_REMOVE(pg, link);
    if (s->empty == NULL) {
        pg->free = NULL;
        pg->fresh = 0;
        SHOW((char *)pg + HDR, BB_SLAB_BYTES - HDR);
        s->empty = pg;
        return;
    }
    SHOW((char *)pg + HDR, BB_SLAB_BYTES - HDR);
    munmap(pg, BB_SLAB_BYTES);
    s->pages--;
}

void bb_slab_trim(struct bb_slab *s)
{
    if (s->empty == NULL)
        return;
    munmap(s->empty, BB_SLAB_BYTES);
    s->empty = NULL;
    s->pages--;
}

/*
 * Streaming find-and-replace of a few literal byte strings: the engine
 * under placeholder substitution (requests) and secret redaction
 * (responses), docs/security.md "Placeholders and redaction".
 *
 * A set holds patterns, each a string to find and what it becomes, or a
 * refusal (a placeholder sent where its credential is not bound). A
 * stream is fed in pieces of any size (reads, TLS records, chunks, DATA
 * frames) and comes out as if the whole had been processed at once:
 * leftmost match first, the longest pattern where several start at the
 * same byte, matches never overlapping. Between pieces it keeps only the
 * bytes that may still begin a match: a tail that is a proper prefix of a
 * pattern, so at most longest-pattern − 1 bytes, and none at all when the
 * piece ends in bytes no pattern starts with (a streamed answer is not
 * delayed).
 *
 * The set is immutable once built and shared; a stream's state is small
 * and its own; the scratch buffers are the thread's (one per worker), as
 * every call completes before returning.
 *
 * Error convention: 0, -1 (out of memory, or the sink refused), or
 * BB_SUBST_REFUSED with s->refused_tag naming the refusing pattern's tag.
 */
#ifndef BB_SUBST_H
#define BB_SUBST_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_SUBST_PATTERN_MAX (16u * 1024u) /* longest string a set may look for */
#define BB_SUBST_SCRATCH_MAX (1u << 20)    /* a piece's output, at most (pieces are 64 KiB) */
#define BB_SUBST_TAGS        64            /* tags 0..63: the credentials of a config */
#define BB_SUBST_REFUSED     (-2)

struct bb_subst_pat {
    const char *from; /* what to find: 1..BB_SUBST_PATTERN_MAX bytes */
    size_t from_len;
    const char *to; /* what it becomes (any length, 0 too); unused when refuse */
    size_t to_len;
    uint8_t tag; /* < BB_SUBST_TAGS: counted in the stream's tags */
    bool refuse; /* a match stops the stream (BB_SUBST_REFUSED) */
};

struct bb_subst_set {
    const struct bb_subst_pat *pats;
    size_t n;
    size_t maxlen;     /* longest from_len */
    bool same_length;  /* every replacement is as long as what it replaces */
    size_t grow;       /* output per input byte, at most (>= 1): bounds what a piece becomes */
    bool refuses;      /* some pattern refuses */
    uint8_t first[32]; /* bitmap of the patterns' first bytes */
};

/* Fills set's derived fields (maxlen, same_length, first) for pats[0..n).
 * Returns 0, or -1 when a pattern is empty or too long, or a tag too big. */
int bb_subst_set_init(struct bb_subst_set *set, const struct bb_subst_pat *pats, size_t n);

/* The thread's working memory: the held tail joined to a piece, and a
 * piece's rewritten output. */
struct bb_subst_scratch {
    struct bb_buf work, out;
};

void bb_subst_scratch_init(struct bb_subst_scratch *sc);
void bb_subst_scratch_free(struct bb_subst_scratch *sc);

/* One stream. Zero it, then bb_subst_start. */
struct bb_subst {
    const struct bb_subst_set *set;
    char *held; /* the tail kept between pieces (malloc'd on first need) */
    size_t nheld;
    uint32_t hits;   /* matches replaced so far */
    uint64_t tags;   /* bit per tag that matched (replaced or refused) */
    int refused_tag; /* the refusing pattern's tag, -1 */
};

/* Where a stream's output goes: called with each run of output bytes, in
 * order (a piece with no match passes as one run, uncopied). 0 or -1. */
typedef int (*bb_subst_sink)(void *arg, const char *p, size_t n);

void bb_subst_start(struct bb_subst *s, const struct bb_subst_set *set);
/* Frees what s holds (its held tail, unsent). */
void bb_subst_release(struct bb_subst *s);

/* Feeds n bytes; what is decided goes to sink. */
int bb_subst_feed(struct bb_subst *s, struct bb_subst_scratch *sc, const char *p, size_t n,
                  bb_subst_sink sink, void *arg);
/* The stream ended: the held tail is decided and sent. */
int bb_subst_finish(struct bb_subst *s, struct bb_subst_scratch *sc, bb_subst_sink sink, void *arg);

/* The whole of p at once, appended to out (heads, trailers). hits and
 * tags (either may be NULL) are added to. Returns 0, -1 (out is full) or
 * BB_SUBST_REFUSED (*refused_tag set; NULL is fine). */
int bb_subst_all(const struct bb_subst_set *set, const char *p, size_t n, struct bb_buf *out,
                 uint32_t *hits, uint64_t *tags, int *refused_tag);

/* Whether any pattern occurs in p (and which, the first found, into
 * *tag): for a head that must carry none. */
bool bb_subst_find(const struct bb_subst_set *set, const char *p, size_t n, int *tag);

#endif

/*
 * Streaming find-and-replace (see subst.h).
 *
 * A piece is decided in one pass over a contiguous run: the held tail
 * joined to the new bytes (copied only when a tail was held, which is
 * rare: it needs a piece to end in a pattern's first bytes). In it,
 * "hold" is where the earliest proper prefix of a pattern begins at the
 * end: nothing starting there or later can be decided yet, and nothing
 * starting earlier can be beaten by a match that needs more bytes (it
 * would start earlier, or be a longer match at the same byte, and either
 * would make its start a tail's start). Each pattern's next occurrence is
 * found with memmem and kept until a replacement passes it, so a piece
 * costs one search per pattern plus one per match.
 */
#include "gateway/cred/subst.h"

#include <stdlib.h>
#include <string.h>

#define BB_SUBST_PATTERNS_MAX                                                                      \
    512 /* patterns in one set: 3 forms of up to 128 secrets, 64 values                            \
         */

static bool is_first(const struct bb_subst_set *set, unsigned char c)
{
    return (set->first[c >> 3] >> (c & 7)) & 1u;
}

int bb_subst_set_init(struct bb_subst_set *set, const struct bb_subst_pat *pats, size_t n)
{
    memset(set, 0, sizeof(*set));
    if (n > BB_SUBST_PATTERNS_MAX)
        return -1;
    set->pats = pats;
    set->n = n;
    set->same_length = true;
    set->grow = 1;
    for (size_t k = 0; k < n; k++) {
        const struct bb_subst_pat *pt = &pats[k];
        if (pt->from_len == 0 || pt->from_len > BB_SUBST_PATTERN_MAX || pt->tag >= BB_SUBST_TAGS)
            return -1;
        if (pt->from_len > set->maxlen)
            set->maxlen = pt->from_len;
        if (!pt->refuse && pt->to_len != pt->from_len)
            set->same_length = false;
        set->refuses |= pt->refuse;
        size_t g = pt->refuse ? 1 : (pt->to_len + pt->from_len - 1) / pt->from_len;
        if (g > set->grow)
            set->grow = g;
        unsigned char c = (unsigned char)pt->from[0];
        set->first[c >> 3] |= (uint8_t)(1u << (c & 7));
    }
    return 0;
}

void bb_subst_scratch_init(struct bb_subst_scratch *sc)
{
    bb_buf_init(&sc->work, BB_SUBST_SCRATCH_MAX + BB_SUBST_PATTERN_MAX);
    bb_buf_init(&sc->out, BB_SUBST_SCRATCH_MAX);
}

void bb_subst_scratch_free(struct bb_subst_scratch *sc)
{
    bb_buf_free(&sc->work);
    bb_buf_free(&sc->out);
}

void bb_subst_start(struct bb_subst *s, const struct bb_subst_set *set)
{
    bb_subst_release(s);
    *s = (struct bb_subst){.set = set, .refused_tag = -1};
}

void bb_subst_release(struct bb_subst *s)
{
    free(s->held);
    s->held = NULL;
    s->nheld = 0;
}

/* The earliest q >= from with b[q..n) a proper prefix of a pattern; n when
 * there is none. */
static size_t tail_start(const struct bb_subst_set *set, const char *b, size_t from, size_t n)
{
    size_t lo = n - from > set->maxlen - 1 ? n - (set->maxlen - 1) : from;
    for (size_t q = lo; q < n; q++) {
        if (!is_first(set, (unsigned char)b[q]))
            continue;
        size_t rest = n - q;
        for (size_t k = 0; k < set->n; k++) {
            const struct bb_subst_pat *pt = &set->pats[k];
            if (pt->from_len > rest && memcmp(b + q, pt->from, rest) == 0)
                return q;
        }
    }
    return n;
}

/* pt's first occurrence in b[i..n) that starts before hold, or SIZE_MAX. */
static size_t find(const struct bb_subst_pat *pt, const char *b, size_t i, size_t hold, size_t n)
{
    size_t end = hold + pt->from_len - 1 < n ? hold + pt->from_len - 1 : n;
    if (end <= i || end - i < pt->from_len)
        return SIZE_MAX;
    const char *m = memmem(b + i, end - i, pt->from, pt->from_len);
    return m != NULL ? (size_t)(m - b) : SIZE_MAX;
}

struct scan {
    const struct bb_subst_set *set;
    const char *b;
    size_t n, hold;
    bool final;
    size_t next[BB_SUBST_PATTERNS_MAX];
};

static void find_all(struct scan *sc, size_t i, bool all)
{
    for (size_t k = 0; k < sc->set->n; k++)
        if (all || sc->next[k] < i)
            sc->next[k] = find(&sc->set->pats[k], sc->b, i, sc->hold, sc->n);
}

/* The leftmost next match, the longest at that byte; SIZE_MAX when none. */
static size_t best(const struct scan *sc, size_t *bk)
{
    size_t at = SIZE_MAX;
    for (size_t k = 0; k < sc->set->n; k++) {
        size_t q = sc->next[k];
        if (q < at ||
            (q == at && q != SIZE_MAX && sc->set->pats[k].from_len > sc->set->pats[*bk].from_len)) {
            at = q;
            *bk = k;
        }
    }
    return at;
}

/* Decides b[0..n): matches are replaced into out (from the first one on;
 * *changed says whether there was one), and *kept is where the undecided
 * tail begins. Returns 0, -1 or BB_SUBST_REFUSED. */
static int scan(struct bb_subst *s, const char *b, size_t n, bool final, struct bb_buf *out,
                size_t *kept, bool *changed)
{
    static _Thread_local struct scan st; /* 4 KiB of positions: off the stack, one per thread */
    st.set = s->set;
    st.b = b;
    st.n = n;
    st.final = final;
    st.hold = final ? n : tail_start(s->set, b, 0, n);
    find_all(&st, 0, true);
    size_t emitted = 0, k = 0;
    *changed = false;
    for (size_t at; (at = best(&st, &k)) != SIZE_MAX;) {
        const struct bb_subst_pat *pt = &s->set->pats[k];
        s->tags |= 1ull << pt->tag;
        if (pt->refuse) {
            s->refused_tag = pt->tag;
            return BB_SUBST_REFUSED;
        }
        if (bb_buf_append(out, b + emitted, at - emitted) != 0 ||
            bb_buf_append(out, pt->to, pt->to_len) != 0)
            return -1;
        s->hits++;
        *changed = true;
        emitted = at + pt->from_len;
        if (emitted > st.hold) { /* the match ran into the tail: look at what is left of it */
            st.hold = final ? n : tail_start(s->set, b, emitted, n);
            find_all(&st, emitted, true);
        } else {
            find_all(&st, emitted, false);
        }
    }
    if (*changed && bb_buf_append(out, b + emitted, st.hold - emitted) != 0)
        return -1;
    *kept = st.hold;
    return 0;
}

/* Decides b[0..n) and sends it; the tail that stays undecided is held. */
static int process(struct bb_subst *s, struct bb_subst_scratch *sc, const char *b, size_t n,
                   bool final, bb_subst_sink sink, void *arg)
{
    size_t kept;
    bool changed;
    bb_buf_reset(&sc->out);
    int rc = scan(s, b, n, final, &sc->out, &kept, &changed);
    if (rc != 0)
        return rc;
    size_t tail = n - kept;
    if (tail > 0 && s->held == NULL && (s->held = malloc(s->set->maxlen)) == NULL)
        return -1;
    /* b may be the work buffer holding the old tail: move the new one
     * first, send after (sink gets b or out, never held) */
    if (tail > 0)
        memmove(s->held, b + kept, tail);
    s->nheld = tail;
    if (changed)
        return bb_buf_size(&sc->out) > 0 ? sink(arg, bb_buf_head(&sc->out), bb_buf_size(&sc->out))
                                         : 0;
    return kept > 0 ? sink(arg, b, kept) : 0;
}

int bb_subst_feed(struct bb_subst *s, struct bb_subst_scratch *sc, const char *p, size_t n,
                  bb_subst_sink sink, void *arg)
{
    if (s->set == NULL || s->set->n == 0) /* not started, or nothing to find */
        return n > 0 ? sink(arg, p, n) : 0;
    if (s->refused_tag >= 0)
        return BB_SUBST_REFUSED;
    if (n == 0)
        return 0;
    if (s->nheld == 0)
        return process(s, sc, p, n, false, sink, arg);
    bb_buf_reset(&sc->work);
    if (bb_buf_append(&sc->work, s->held, s->nheld) != 0 || bb_buf_append(&sc->work, p, n) != 0)
        return -1;
    return process(s, sc, bb_buf_head(&sc->work), bb_buf_size(&sc->work), false, sink, arg);
}

int bb_subst_finish(struct bb_subst *s, struct bb_subst_scratch *sc, bb_subst_sink sink, void *arg)
{
    if (s->set == NULL)
        return 0;
    if (s->refused_tag >= 0)
        return BB_SUBST_REFUSED;
    if (s->nheld == 0)
        return 0;
    bb_buf_reset(&sc->work);
    if (bb_buf_append(&sc->work, s->held, s->nheld) != 0)
        return -1;
    return process(s, sc, bb_buf_head(&sc->work), bb_buf_size(&sc->work), true, sink, arg);
}

int bb_subst_all(const struct bb_subst_set *set, const char *p, size_t n, struct bb_buf *out,
                 uint32_t *hits, uint64_t *tags, int *refused_tag)
{
    if (set == NULL || set->n == 0)
        return bb_buf_append(out, p, n);
    struct bb_subst s = {.set = set, .refused_tag = -1};
    size_t kept;
    bool changed;
    /* scan writes into out from the first match on, up to the end (final) */
    int rc = scan(&s, p, n, true, out, &kept, &changed);
    if (rc == 0 && !changed)
        rc = bb_buf_append(out, p, n);
    if (hits != NULL)
        *hits += s.hits;
    if (tags != NULL)
        *tags |= s.tags;
    if (refused_tag != NULL)
        *refused_tag = s.refused_tag;
    return rc;
}

bool bb_subst_find(const struct bb_subst_set *set, const char *p, size_t n, int *tag)
{
    for (size_t k = 0; set != NULL && k < set->n; k++)
        if (memmem(p, n, set->pats[k].from, set->pats[k].from_len) != NULL) {
            if (tag != NULL)
                *tag = set->pats[k].tag;
            return true;
        }
    return false;
}

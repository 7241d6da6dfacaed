/*
 * libFuzzer target: streaming substitution (gateway/cred/subst.c) against
 * the reference (subst_ref.h) on random splits. The input gives up to 4
 * patterns over a small alphabet (so that they overlap and recur), each
 * replacing or refusing, then the text and the piece sizes. Invariants:
 * the streamed output equals the reference's, or is a prefix of it up to
 * a refusal that both make with the same pattern; what is held between
 * pieces is shorter than the longest pattern and is a proper prefix of
 * one (nothing is held back that cannot start a match).
 */
#include "tests/fuzz/subst_ref.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bb_subst_scratch sc;
static struct bb_buf got, want;

static int sink(void *arg, const char *p, size_t n)
{
    (void)arg;
    return bb_buf_append(&got, p, n);
}

static bool held_may_match(const struct bb_subst *s)
{
    for (size_t k = 0; k < s->set->n; k++)
        if (s->set->pats[k].from_len > s->nheld &&
            memcmp(s->set->pats[k].from, s->held, s->nheld) == 0)
            return true;
    return s->nheld == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        bb_subst_scratch_init(&sc);
        bb_buf_init(&got, 1u << 24);
        bb_buf_init(&want, 1u << 24);
        ready = true;
    }
    if (size < 2)
        return 0;
    size_t i = 0, np = 1 + data[i++] % 4;
    static char from[4][16], to[4][16];
    struct bb_subst_pat pats[4];
    for (size_t k = 0; k < np; k++) {
        if (i >= size)
            return 0;
        uint8_t b = data[i++];
        size_t fl = 1 + b % 8, tl = (b >> 3) % 12;
        for (size_t j = 0; j < fl; j++)
            from[k][j] = (char)('a' + (i < size ? data[i++] : 0) % 3);
        for (size_t j = 0; j < tl; j++)
            to[k][j] = (char)('a' + (i < size ? data[i++] : 0) % 4);
        pats[k] = (struct bb_subst_pat){.from = from[k],
                                        .from_len = fl,
                                        .to = to[k],
                                        .to_len = tl,
                                        .tag = (uint8_t)k,
                                        .refuse = b >= 0xf0};
    }
    if (i >= size)
        return 0;
    uint32_t seed = data[i++];
    static char text[8192];
    size_t len = 0;
    for (; i < size && len < sizeof(text); i++)
        text[len++] = (char)('a' + data[i] % 4);
    struct bb_subst_set set;
    if (bb_subst_set_init(&set, pats, np) != 0)
        __builtin_trap();
    bb_buf_reset(&want);
    uint32_t want_hits = 0;
    int want_tag = bb_subst_ref(pats, np, text, len, &want, &want_hits);
    bb_buf_reset(&got);
    struct bb_subst s = {0};
    bb_subst_start(&s, &set);
    int rc = 0;
    for (size_t at = 0; at < len && rc == 0;) {
        seed = seed * 1103515245u + 12345u;
        size_t piece = (seed >> 16) % 17;
        piece = piece > len - at ? len - at : piece;
        rc = bb_subst_feed(&s, &sc, text + at, piece, sink, NULL);
        at += piece;
        if (rc == 0 && (s.nheld >= set.maxlen || !held_may_match(&s)))
            __builtin_trap();
    }
    if (rc == 0)
        rc = bb_subst_finish(&s, &sc, sink, NULL);
    if (want_tag >= 0 ? (rc != BB_SUBST_REFUSED || s.refused_tag != want_tag)
                      : (rc != 0 || s.hits != want_hits || bb_buf_size(&got) != bb_buf_size(&want)))
        __builtin_trap();
    if (bb_buf_size(&got) > bb_buf_size(&want) ||
        memcmp(bb_buf_head(&got), bb_buf_head(&want), bb_buf_size(&got)) != 0)
        __builtin_trap();
    bb_subst_release(&s);
    return 0;
}

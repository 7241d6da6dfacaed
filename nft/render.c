/*
 * Text rendering of a ruleset, for golden files and `botbox nft show`.
 * Built rulesets and kernel dumps go through the same code, so they can be
 * compared line by line. Handles and set ids (which the kernel assigns) are
 * not printed; set elements are printed sorted, because the kernel returns
 * hash-set elements in no particular order.
 */
#include "nft/nft_int.h"

#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
    if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT) {
        char *out = data;
        uint8_t len = nftnl_udata_len(attr);
        memcpy(out, nftnl_udata_get(attr), len);
        out[len] = '\0';
        out[255] = '\0';
    }
    return 0;
}

static void rule_comment(const struct nftnl_rule *r, char out[256])
{
    uint32_t len = 0;
    out[0] = '\0';
    const void *ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
    if (ud != NULL)
        nftnl_udata_parse(ud, len, comment_cb, out);
}

/* libnftnl does not print a target's info blob; for NFQUEUE it holds the
 * queue number and the flags (where a bypass would hide), so decode it. */
static const char *target_info(const struct nftnl_expr *e, const char *name)
{
    static __thread char buf[96];
    uint32_t len = 0;
    if (strcmp(name, "target") != 0)
        return "";
    const struct xt_NFQ_info_v3 *info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
    if (info == NULL || len < sizeof(*info) ||
        strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "NFQUEUE") != 0)
        return "";
    snprintf(buf, sizeof(buf), " queuenum %u total %u flags 0x%x", info->queuenum,
             info->queues_total, info->flags);
    return buf;
}

static void render_rule(const struct nftnl_rule *r, FILE *out)
{
    char comment[256], buf[512];
    rule_comment(r, comment);
    fprintf(out, "rule %s \"%s\"\n", nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), comment);
    struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
    if (it == NULL)
        return;
    for (struct nftnl_expr *e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
        nftnl_expr_snprintf(buf, sizeof(buf), e, NFTNL_OUTPUT_DEFAULT, 0);
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == ' ')
            buf[--n] = '\0';
        const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
        fprintf(out, "  [ %s %s%s ]\n", name, buf, target_info(e, name));
    }
    nftnl_expr_iter_destroy(it);
}

const char *bb_nft_hook_name(uint32_t hook)
{
    static const char *const hooks[] = {"prerouting", "input", "forward", "output", "postrouting"};
    return hook < sizeof(hooks) / sizeof(hooks[0]) ? hooks[hook] : "?";
}

static void render_chain(const struct nftnl_chain *c, FILE *out)
{
    uint32_t policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
    fprintf(out, "chain %s type %s hook %s priority %d policy %s\n",
            nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
            bb_nft_hook_name(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)),
            nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), policy == NF_ACCEPT ? "accept" : "drop");
}

/* Whether an ifname key reads as its text: a name padded with zeros (an
 * interval's end past a name, "name" then 0x01, is printed in hex). */
static bool ifname_text(const uint8_t *key, uint32_t len)
{
    uint32_t n = (uint32_t)strnlen((const char *)key, len);
    for (uint32_t i = n; i < len; i++)
        if (key[i] != 0)
            return false;
    return true;
}

/* One element key in the notation of its set's type. */
static void format_key(uint32_t type, const uint8_t *key, uint32_t len, char *buf, size_t cap)
{
    if (type == 13 && len == 2) { /* inet_service */
        snprintf(buf, cap, "%u", (unsigned)(key[0] << 8 | key[1]));
    } else if (type == 41 && ifname_text(key, len)) { /* ifname */
        snprintf(buf, cap, "\"%.*s\"", (int)strnlen((const char *)key, len), (const char *)key);
    } else if (len == 1) {
        snprintf(buf, cap, "%u", key[0]);
    } else {
        size_t o = 0;
        for (uint32_t i = 0; i < len && o + 3 < cap; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%02x", key[i]);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Elements of the set named `name`, gathered from every ELEM object. */
static void render_elements(const struct bb_ruleset *rs, const char *name, uint32_t type, FILE *out)
{
    char **lines = calloc(rs->n + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; lines != NULL && i < rs->n; i++) {
        const struct bb_nft_obj *o = &rs->objs[i];
        if (o->kind != BB_NFT_OBJ_ELEM || strcmp(nftnl_set_get_str(o->set, NFTNL_SET_NAME), name))
            continue;
        struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(o->set);
        for (struct nftnl_set_elem *e = it ? nftnl_set_elems_iter_next(it) : NULL; e;
             e = nftnl_set_elems_iter_next(it)) {
            uint32_t len = 0;
            const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
            char buf[160];
            format_key(type, key, len, buf, sizeof(buf));
            uint32_t elen = 0;
            const uint8_t *kend = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)
                                      ? nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &elen)
                                      : NULL;
            size_t used = strlen(buf);
            if (kend != NULL && used + 1 < sizeof(buf)) { /* an interval: first-last */
                buf[used++] = '-';
                format_key(type, kend, elen, buf + used, sizeof(buf) - used);
            }
            if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
                (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END))
                snprintf(buf + used, sizeof(buf) - used, " (end)");
            char **grown = realloc(lines, (n + 2) * sizeof(char *));
            if (grown == NULL)
                break;
            lines = grown;
            lines[n++] = strdup(buf);
        }
        if (it != NULL)
            nftnl_set_elems_iter_destroy(it);
    }
    if (lines == NULL)
        return;
    qsort(lines, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "  element %s\n", lines[i] ? lines[i] : "?");
        free(lines[i]);
    }
    free(lines);
}

void bb_ruleset_render(const struct bb_ruleset *rs, FILE *out)
{
    for (size_t i = 0; i < rs->n; i++) {
        const struct bb_nft_obj *o = &rs->objs[i];
        switch (o->kind) {
        case BB_NFT_OBJ_TABLE:
            fprintf(out, "table inet %s\n", nftnl_table_get_str(o->table, NFTNL_TABLE_NAME));
            break;
        case BB_NFT_OBJ_SET: {
            const char *name = nftnl_set_get_str(o->set, NFTNL_SET_NAME);
            uint32_t type = nftnl_set_get_u32(o->set, NFTNL_SET_KEY_TYPE);
            fprintf(out, "set %s type %u len %u", name, type,
                    nftnl_set_get_u32(o->set, NFTNL_SET_KEY_LEN));
            uint32_t flags = nftnl_set_is_set(o->set, NFTNL_SET_FLAGS)
                                 ? nftnl_set_get_u32(o->set, NFTNL_SET_FLAGS)
                                 : 0;
            if (flags != 0)
                fprintf(out, " flags 0x%x", flags);
            fputc('\n', out);
            render_elements(rs, name, type, out);
            break;
        }
        case BB_NFT_OBJ_CHAIN:
            render_chain(o->chain, out);
            break;
        case BB_NFT_OBJ_RULE:
            render_rule(o->rule, out);
            break;
        case BB_NFT_OBJ_ELEM:
            break; /* printed with their set */
        }
    }
}

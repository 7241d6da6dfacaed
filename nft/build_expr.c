/*
 * Expression helpers for the ruleset builder. Each appends one libnftnl
 * expression to a rule; an allocation failure sets b->err and later calls
 * do nothing, so rule assembly reads as a straight list of matches.
 *
 * The sequences mirror what nft 1.0.6 emits for the same statements
 * (docs/nft-facts.md §4), so `nft list ruleset` shows botbox's
 * rules in ordinary nft syntax.
 */
#include "nft/nft_int.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static struct nftnl_expr *add(struct bb_rb *b, const char *name)
{
    if (b->err)
        return NULL;
    struct nftnl_expr *e = nftnl_expr_alloc(name);
    if (e == NULL) {
        b->err = 1;
        return NULL;
    }
    nftnl_rule_add_expr(b->rule, e);
    return e;
}

void bb_rb_meta_load(struct bb_rb *b, uint32_t key, uint32_t dreg)
{
    struct nftnl_expr *e = add(b, "meta");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

void bb_rb_meta_set(struct bb_rb *b, uint32_t key, uint32_t sreg)
{
    struct nftnl_expr *e = add(b, "meta");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
}

void bb_rb_cmp(struct bb_rb *b, uint32_t op, uint32_t sreg, const void *data, uint32_t len)
{
    struct nftnl_expr *e = add(b, "cmp");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

void bb_rb_payload(struct bb_rb *b, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
    struct nftnl_expr *e = add(b, "payload");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

void bb_rb_lookup(struct bb_rb *b, uint32_t sreg, const char *set, bool invert)
{
    struct nftnl_expr *e = add(b, "lookup");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
    /* Always sent (0 too), as nft does; the kernel echoes it in dumps. */
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, invert ? NFT_LOOKUP_F_INV : 0);
}

void bb_rb_imm(struct bb_rb *b, uint32_t dreg, const void *data, uint32_t len)
{
    struct nftnl_expr *e = add(b, "immediate");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
    nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

void bb_rb_verdict(struct bb_rb *b, int verdict)
{
    struct nftnl_expr *e = add(b, "immediate");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
}

void bb_rb_tproxy(struct bb_rb *b, int nfproto, uint32_t areg, uint32_t preg)
{
    struct nftnl_expr *e = add(b, "tproxy");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_TPROXY_FAMILY, (uint32_t)nfproto);
    nftnl_expr_set_u32(e, NFTNL_EXPR_TPROXY_REG_ADDR, areg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_TPROXY_REG_PORT, preg);
}

void bb_rb_redir(struct bb_rb *b, uint32_t preg)
{
    struct nftnl_expr *e = add(b, "redir");
    if (e == NULL)
        return;
    nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN, preg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MAX, preg);
    nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
}

void bb_rb_masq(struct bb_rb *b)
{
    add(b, "masq");
}

void bb_rb_not_syn(struct bb_rb *b)
{
    uint32_t syn = 0x02, zero = 0;
    bb_rb_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
    struct nftnl_expr *e = add(b, "bitwise");
    if (e != NULL) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 1);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &syn, 1);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 1);
    }
    bb_rb_cmp(b, NFT_CMP_EQ, NFT_REG_1, &zero, 1);
}

void bb_rb_socket_transparent(struct bb_rb *b)
{
    struct nftnl_expr *e = add(b, "socket");
    if (e != NULL) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_KEY, NFT_SOCKET_TRANSPARENT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_DREG, NFT_REG_1);
    }
    uint8_t one = 1;
    bb_rb_cmp(b, NFT_CMP_EQ, NFT_REG_1, &one, 1);
}

void bb_rb_counter(struct bb_rb *b)
{
    (void)add(b, "counter");
}

void bb_rb_notrack(struct bb_rb *b)
{
    add(b, "notrack");
}

void bb_rb_queue(struct bb_rb *b, enum bb_nft_queue mode, uint16_t num)
{
    if (mode == BB_NFT_QUEUE_NATIVE) {
        struct nftnl_expr *e = add(b, "queue");
        if (e == NULL)
            return;
        nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, num);
        nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, 1);
        nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, 0); /* no NFT_QUEUE_FLAG_BYPASS */
        return;
    }
    struct nftnl_expr *e = add(b, "target");
    if (e == NULL)
        return;
    /* libnftnl keeps this buffer and frees it with the expression
     * (nft-facts §0), so it must come from malloc and is never freed here.
     * 8 bytes = XT_ALIGN(sizeof), what iptables-nft sends. */
    struct xt_NFQ_info_v3 *info = calloc(1, 8);
    if (info == NULL) {
        b->err = 1;
        return;
    }
    info->queuenum = num;
    info->queues_total = 1;
    info->flags = 0; /* no NFQ_FLAG_BYPASS */
    nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
    nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
    nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, 8);
}

/* reg1 = (reg1 & mask) ^ xor: how nft expresses "&", "|" and "^". */
static void bitwise(struct bb_rb *b, uint32_t mask, uint32_t xor)
{
    struct nftnl_expr *e = add(b, "bitwise");
    if (e != NULL) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, sizeof(xor));
    }
}

static void ct_load(struct bb_rb *b, uint32_t key)
{
    struct nftnl_expr *e = add(b, "ct");
    if (e != NULL) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    }
}

static void ct_masked(struct bb_rb *b, uint32_t key, uint32_t mask, uint32_t op)
{
    ct_load(b, key);
    bitwise(b, mask, 0);
    uint32_t zero = 0;
    bb_rb_cmp(b, op, NFT_REG_1, &zero, sizeof(zero));
}

void bb_rb_ct_bits(struct bb_rb *b, uint32_t key, uint32_t mask)
{
    ct_masked(b, key, mask, NFT_CMP_NEQ);
}

void bb_rb_ct_no_bits(struct bb_rb *b, uint32_t key, uint32_t mask)
{
    ct_masked(b, key, mask, NFT_CMP_EQ);
}

void bb_rb_ct_mark_or(struct bb_rb *b, uint32_t bits)
{
    ct_load(b, NFT_CT_MARK);
    bitwise(b, ~bits, bits);
    struct nftnl_expr *e = add(b, "ct");
    if (e != NULL) {
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
    }
}

void bb_rb_ct_original(struct bb_rb *b)
{
    ct_load(b, NFT_CT_DIRECTION);
    uint8_t dir = 0; /* IP_CT_DIR_ORIGINAL */
    bb_rb_cmp(b, NFT_CMP_EQ, NFT_REG_1, &dir, 1);
}

void bb_rb_l4proto(struct bb_rb *b, uint8_t proto)
{
    bb_rb_meta_load(b, NFT_META_L4PROTO, NFT_REG_1);
    bb_rb_cmp(b, NFT_CMP_EQ, NFT_REG_1, &proto, 1);
}

void bb_rb_nfproto(struct bb_rb *b, uint8_t nfproto)
{
    bb_rb_meta_load(b, NFT_META_NFPROTO, NFT_REG_1);
    bb_rb_cmp(b, NFT_CMP_EQ, NFT_REG_1, &nfproto, 1);
}

void bb_rb_dport(struct bb_rb *b, uint8_t proto, uint16_t port)
{
    uint16_t be = htons(port);
    bb_rb_l4proto(b, proto);
    bb_rb_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
    bb_rb_cmp(b, NFT_CMP_EQ, NFT_REG_1, &be, sizeof(be));
}

void bb_rb_ifname_op(struct bb_rb *b, uint32_t key, uint32_t op, const char *name)
{
    char buf[IFNAMSIZ] = {0};
    size_t len = strlen(name);
    memcpy(buf, name, len < IFNAMSIZ - 1 ? len : IFNAMSIZ - 1);
    bb_rb_meta_load(b, key, NFT_REG_1);
    bb_rb_cmp(b, op, NFT_REG_1, buf, sizeof(buf));
}

void bb_rb_ifname(struct bb_rb *b, uint32_t key, const char *name)
{
    bb_rb_ifname_op(b, key, NFT_CMP_EQ, name);
}

void bb_rb_u32(struct bb_rb *b, uint32_t key, uint32_t v)
{
    bb_rb_meta_load(b, key, NFT_REG_1);
    bb_rb_cmp(b, NFT_CMP_EQ, NFT_REG_1, &v, sizeof(v));
}

/*
 * Ruleset builder (see ruleset.h): assembles table inet botbox for the
 * sidecar and gateway shapes. Every rule carries its purpose as an nft
 * comment, which is also the name used in error messages.
 *
 * Fail-closed choices, written where they are made:
 *  - steered packets are accepted because their re-route sends them to lo
 *    (seen in postrouting), never because of their mark: if the
 *    policy-routing rule is missing, marked packets leave by their normal
 *    route and meet the queue rule;
 *  - the last rule of every filter chain queues; NFQUEUE without a reader
 *    drops, and no bypass flag is ever set.
 */
#include "nft/nft_int.h"

#include <arpa/inet.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SET_PORTS  "proxy_ports"
#define SET_IFACES "client_ifaces"
#define SET_ND     "nd_types"

/* nft datatype ids, so `nft list` prints elements in their own notation. */
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_ICMP6_TYPE   29
#define NFT_TYPE_IFNAME       41
#define NFT_BYTEORDER_HOST    1
#define NFT_BYTEORDER_BIG     2

/* ICMPv6 neighbour discovery and MLD reports: without them IPv6 stops
 * working on the link (router and neighbour solicitation, neighbour
 * advertisement, MLDv2 report). */
static const uint8_t nd_types[] = {133, 135, 136, 143};

/* ---- object list ---- */

struct bb_ruleset *bb_ruleset_new(enum bb_nft_queue queue)
{
    struct bb_ruleset *rs = calloc(1, sizeof(*rs));
    if (rs != NULL) {
        rs->queue = queue;
        snprintf(rs->table, sizeof(rs->table), "%s", BB_NFT_TABLE);
    }
    return rs;
}

struct bb_nft_obj *bb_ruleset_add(struct bb_ruleset *rs, enum bb_nft_kind kind)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 32;
        struct bb_nft_obj *o = realloc(rs->objs, cap * sizeof(*o));
        if (o == NULL) {
            rs->oom = 1;
            return NULL;
        }
        rs->objs = o;
        rs->cap = cap;
    }
    struct bb_nft_obj *o = &rs->objs[rs->n++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    return o;
}

void bb_ruleset_free(struct bb_ruleset *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->n; i++) {
        struct bb_nft_obj *o = &rs->objs[i];
        if (o->table)
            nftnl_table_free(o->table);
        if (o->set)
            nftnl_set_free(o->set);
        if (o->chain)
            nftnl_chain_free(o->chain);
        if (o->rule)
            nftnl_rule_free(o->rule);
    }
    free(rs->objs);
    free(rs);
}

void bb_nb_describe(struct bb_nft_obj *o, const void *field, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->what, sizeof(o->what), fmt, ap);
    va_end(ap);
    o->field = field;
    snprintf(o->path, sizeof(o->path), "%s", path);
}

/* ---- table, sets, chains ---- */

void bb_ruleset_add_table(struct bb_ruleset *rs)
{
    struct bb_nft_obj *o = bb_ruleset_add(rs, BB_NFT_OBJ_TABLE);
    if (o == NULL || (o->table = nftnl_table_alloc()) == NULL) {
        rs->oom = 1;
        return;
    }
    nftnl_table_set_u32(o->table, NFTNL_TABLE_FAMILY, NFPROTO_INET);
    nftnl_table_set_str(o->table, NFTNL_TABLE_NAME, rs->table);
    if (rs->table_flags != 0)
        nftnl_table_set_u32(o->table, NFTNL_TABLE_FLAGS, rs->table_flags);
    bb_nb_describe(o, NULL, "", "table inet %s", rs->table);
}

static struct nftnl_set *set_alloc(const struct bb_ruleset *rs, const char *name)
{
    struct nftnl_set *s = nftnl_set_alloc();
    if (s == NULL)
        return NULL;
    nftnl_set_set_str(s, NFTNL_SET_TABLE, rs->table);
    nftnl_set_set_str(s, NFTNL_SET_NAME, name);
    nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
    return s;
}

struct nftnl_set *bb_nb_add_set(struct bb_ruleset *rs, const char *name, uint32_t type,
                                uint32_t len, uint32_t byteorder)
{
    struct bb_nft_obj *o = bb_ruleset_add(rs, BB_NFT_OBJ_SET);
    struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);
    if (o == NULL || ud == NULL || (o->set = set_alloc(rs, name)) == NULL) {
        nftnl_udata_buf_free(ud);
        rs->oom = 1;
        return NULL;
    }
    nftnl_set_set_u32(o->set, NFTNL_SET_KEY_TYPE, type);
    nftnl_set_set_u32(o->set, NFTNL_SET_KEY_LEN, len);
    nftnl_set_set_u32(o->set, NFTNL_SET_FLAGS, 0);
    /* NEWSET requires an id, unique within the transaction. */
    nftnl_set_set_u32(o->set, NFTNL_SET_ID, (uint32_t)rs->n);
    /* Without the byte order, `nft list` prints ifname elements as "". */
    nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, byteorder);
    nftnl_set_set_data(o->set, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
                       nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
    bb_nb_describe(o, NULL, "", "set %s", name);
    return o->set;
}

/* One element per object (and per netlink message), so a refused element
 * is named precisely. */
struct bb_nft_obj *bb_nb_add_range(struct bb_ruleset *rs, const char *set, const void *key,
                                   const void *key_end, uint32_t len)
{
    struct bb_nft_obj *o = bb_ruleset_add(rs, BB_NFT_OBJ_ELEM);
    struct nftnl_set_elem *e = nftnl_set_elem_alloc();
    if (o == NULL || e == NULL || (o->set = set_alloc(rs, set)) == NULL) {
        if (e != NULL)
            nftnl_set_elem_free(e);
        rs->oom = 1;
        return NULL;
    }
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
    if (key_end != NULL)
        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, key_end, len);
    nftnl_set_elem_add(o->set, e);
    return o;
}

struct bb_nft_obj *bb_nb_add_elem_flags(struct bb_ruleset *rs, const char *set, const void *key,
                                        uint32_t len, uint32_t flags)
{
    struct bb_nft_obj *o = bb_nb_add_range(rs, set, key, NULL, len);
    if (o != NULL) {
        struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(o->set);
        struct nftnl_set_elem *e = it != NULL ? nftnl_set_elems_iter_next(it) : NULL;
        if (e != NULL)
            nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
        else
            rs->oom = 1;
        if (it != NULL)
            nftnl_set_elems_iter_destroy(it);
    }
    return o;
}

struct bb_nft_obj *bb_nb_add_elem(struct bb_ruleset *rs, const char *set, const void *key,
                                  uint32_t len)
{
    return bb_nb_add_range(rs, set, key, NULL, len);
}

void bb_nb_add_chain(struct bb_ruleset *rs, const char *name, const char *type, uint32_t hook,
                     int32_t prio)
{
    struct bb_nft_obj *o = bb_ruleset_add(rs, BB_NFT_OBJ_CHAIN);
    if (o == NULL || (o->chain = nftnl_chain_alloc()) == NULL) {
        rs->oom = 1;
        return;
    }
    nftnl_chain_set_u32(o->chain, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
    nftnl_chain_set_str(o->chain, NFTNL_CHAIN_TABLE, rs->table);
    nftnl_chain_set_str(o->chain, NFTNL_CHAIN_NAME, name);
    nftnl_chain_set_str(o->chain, NFTNL_CHAIN_TYPE, type);
    nftnl_chain_set_u32(o->chain, NFTNL_CHAIN_HOOKNUM, hook);
    nftnl_chain_set_s32(o->chain, NFTNL_CHAIN_PRIO, prio);
    nftnl_chain_set_u32(o->chain, NFTNL_CHAIN_POLICY, NF_ACCEPT);
    bb_nb_describe(o, NULL, "", "chain %s (%s, %s, priority %d)", name, type,
                   bb_nft_hook_name(hook), prio);
}

/* ---- rules ---- */

/* Starts a rule in the current chain; the comment is what `nft list` shows
 * and what errors call the rule. */
struct bb_rb bb_nb_begin(struct bb_nb *rc, const void *field, const char *path, const char *comment)
{
    struct bb_rb b = {.err = 1};
    struct bb_nft_obj *o = bb_ruleset_add(rc->rs, BB_NFT_OBJ_RULE);
    struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
    if (o == NULL || ud == NULL || (o->rule = nftnl_rule_alloc()) == NULL) {
        nftnl_udata_buf_free(ud);
        rc->rs->oom = 1;
        return b;
    }
    nftnl_rule_set_u32(o->rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
    nftnl_rule_set_str(o->rule, NFTNL_RULE_TABLE, rc->rs->table);
    nftnl_rule_set_str(o->rule, NFTNL_RULE_CHAIN, rc->chain);
    nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment);
    nftnl_rule_set_data(o->rule, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
                        nftnl_udata_buf_len(ud));
    nftnl_udata_buf_free(ud);
    bb_nb_describe(o, field, path, "rule '%s' in chain %s", comment, rc->chain);
    b.rule = o->rule;
    b.err = 0;
    return b;
}

void bb_nb_end(struct bb_nb *rc, struct bb_rb *b)
{
    if (b->err)
        rc->rs->oom = 1;
}

static void rule_skuid(struct bb_nb *rc, int verdict, const char *what)
{
    char comment[96];
    snprintf(comment, sizeof(comment), "%s proxy_uid %u", what, rc->cfg->proxy_uid);
    struct bb_rb b = bb_nb_begin(rc, &rc->cfg->proxy_uid, "proxy_uid", comment);
    bb_rb_u32(&b, NFT_META_SKUID, rc->cfg->proxy_uid);
    bb_rb_verdict(&b, verdict);
    bb_nb_end(rc, &b);
}

static void rule_lo(struct bb_nb *rc, int verdict, const char *comment)
{
    struct bb_rb b = bb_nb_begin(rc, NULL, "", comment);
    bb_rb_ifname(&b, NFT_META_OIFNAME, "lo");
    bb_rb_verdict(&b, verdict);
    bb_nb_end(rc, &b);
}

/* Return unless the packet comes from a client interface. */
void bb_nb_not_client(struct bb_nb *rc)
{
    struct bb_rb b = bb_nb_begin(rc, NULL, "gateway.client_interfaces",
                                 "not from a client interface: not botbox's business");
    bb_rb_meta_load(&b, NFT_META_IIFNAME, NFT_REG_1);
    bb_rb_lookup(&b, NFT_REG_1, SET_IFACES, true);
    bb_rb_verdict(&b, NFT_RETURN);
    bb_nb_end(rc, &b);
}

static void rule_ct_state(struct bb_nb *rc, uint32_t bits, int verdict, const char *comment)
{
    struct bb_rb b = bb_nb_begin(rc, NULL, "", comment);
    bb_rb_ct_bits(&b, NFT_CT_STATE, bits);
    bb_rb_verdict(&b, verdict);
    bb_nb_end(rc, &b);
}

static void rule_nd(struct bb_nb *rc)
{
    struct bb_rb b = bb_nb_begin(rc, NULL, "", "accept IPv6 neighbour discovery");
    bb_rb_nfproto(&b, NFPROTO_IPV6);
    bb_rb_l4proto(&b, IPPROTO_ICMPV6);
    bb_rb_payload(&b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
    bb_rb_lookup(&b, NFT_REG_1, SET_ND, false);
    bb_rb_verdict(&b, NF_ACCEPT);
    bb_nb_end(rc, &b);
}

/* Ends b (begun last) with the queue to the verdict thread. */
void bb_nb_end_queue(struct bb_nb *rc, struct bb_rb *b)
{
    if (!b->err)
        rc->rs->objs[rc->rs->n - 1].uses_queue = true;
    bb_rb_queue(b, rc->rs->queue, BB_NFT_QUEUE_NUM);
    bb_nb_end(rc, b);
}

/* A packet conntrack calls invalid (a hand-made header, a checksum
 * coverage past its end) was dropped here unseen; it is queued instead,
 * marked, so that the verdict thread drops it whatever the flows rules say
 * and audits it. Routing is done by now: the mark steers nothing. */
static void rule_queue_invalid(struct bb_nb *rc)
{
    uint32_t mark = BB_NFT_MARK_INVALID;
    struct bb_rb b =
        bb_nb_begin(rc, NULL, "", "queue invalid, marked: the verdict thread drops it");
    bb_rb_ct_bits(&b, NFT_CT_STATE, NF_CT_STATE_INVALID_BIT);
    bb_rb_imm(&b, NFT_REG_1, &mark, sizeof(mark));
    bb_rb_meta_set(&b, NFT_META_MARK, NFT_REG_1);
    bb_nb_end_queue(rc, &b);
}

static void rule_queue(struct bb_nb *rc)
{
    char comment[96];
    snprintf(comment, sizeof(comment), "queue every other flow to NFQUEUE %u for a verdict",
             BB_NFT_QUEUE_NUM);
    struct bb_rb b = bb_nb_begin(rc, NULL, "", comment);
    bb_nb_end_queue(rc, &b);
}

/*
 * A flow botbox opens is exempt from the redirect and accepted, and its
 * conntrack entry outlives the socket: a udp query's by the udp timeout (30
 * s and more), a tcp connection's, half closed after the orphaned socket is
 * gone, for minutes. A workload socket on the freed port, which it can read
 * in /proc/net/{udp,tcp}, would continue that entry: udp as an established
 * flow (nat sees a flow's first packet only, so a query would reach the
 * resolver unchecked), tcp with a SYN that conntrack ignores rather than
 * calls new, and so passes as established. So the entries botbox opens
 * carry a ct mark bit, and a packet of such an entry from any other uid is
 * queued like a new flow. The bit is set on the first packet only.
 */
static void rule_mark_own(struct bb_nb *rc)
{
    struct bb_rb b = bb_nb_begin(rc, &rc->cfg->proxy_uid, "proxy_uid",
                                 "mark the conntrack entries of flows proxy_uid opens");
    bb_rb_ct_bits(&b, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_NEW));
    bb_rb_u32(&b, NFT_META_SKUID, rc->cfg->proxy_uid);
    bb_rb_ct_mark_or(&b, BB_NFT_CT_PROXY);
    bb_nb_end(rc, &b);
}

/* "meta skuid != proxy_uid" */
static void not_proxy_uid(struct bb_nb *rc, struct bb_rb *b)
{
    uint32_t uid = rc->cfg->proxy_uid;
    bb_rb_meta_load(b, NFT_META_SKUID, NFT_REG_1);
    bb_rb_cmp(b, NFT_CMP_NEQ, NFT_REG_1, &uid, sizeof(uid));
}

static void rule_queue_reused(struct bb_nb *rc)
{
    struct bb_rb b = bb_nb_begin(rc, &rc->cfg->proxy_uid, "proxy_uid",
                                 "queue packets of a flow proxy_uid opened, sent by another uid");
    bb_rb_ct_bits(&b, NFT_CT_MARK, BB_NFT_CT_PROXY);
    not_proxy_uid(rc, &b);
    bb_nb_end_queue(rc, &b);
}

/* The same for any entry the redirect did not rewrite: one made before the
 * ruleset was applied, or by a packet that came in from port 53 (a
 * resolver's late answer to a socket botbox had closed): the workload's
 * reply to it would be a query past the redirect. Every new udp/53 flow
 * of the workload is redirected, so nothing legitimate matches. */
static void rule_queue_unredirected_dns(struct bb_nb *rc)
{
    struct bb_rb b = bb_nb_begin(rc, &rc->cfg->proxy_uid, "proxy_uid",
                                 "queue udp/53 the redirect did not take, sent by another uid");
    bb_rb_dport(&b, IPPROTO_UDP, 53);
    bb_rb_ct_no_bits(&b, NFT_CT_STATUS, IPS_DST_NAT);
    not_proxy_uid(rc, &b);
    bb_nb_end_queue(rc, &b);
}

static void rule_dns_redirect(struct bb_nb *rc, uint8_t proto)
{
    char comment[96];
    uint16_t port = htons(rc->cfg->dns.listen_port);
    snprintf(comment, sizeof(comment), "redirect %s/53 to the DNS forwarder on port %u",
             proto == IPPROTO_UDP ? "udp" : "tcp", rc->cfg->dns.listen_port);
    struct bb_rb b = bb_nb_begin(rc, &rc->cfg->dns.listen_port, "dns.listen_port", comment);
    bb_rb_dport(&b, proto, 53);
    bb_rb_imm(&b, NFT_REG_1, &port, sizeof(port));
    bb_rb_redir(&b, NFT_REG_1);
    bb_nb_end(rc, &b);
}

/* The listener a steered port goes to: 80 -> listen_port, 443 -> the TLS
 * listener. */
static const uint16_t *listener_for(const struct bb_config *cfg, uint16_t port, const char **path)
{
    *path = port == 80 ? "listen_port" : "https_interception.listen_port";
    return port == 80 ? &cfg->listen_port : &cfg->tls.listen_port;
}

/* tproxy to the loopback listener. The listeners always have a loopback
 * socket with IP_TRANSPARENT; clients can reach them only through here. */
static void rule_tproxy(struct bb_nb *rc, uint16_t port, int nfproto, bool gateway)
{
    const char *path;
    const uint16_t *lport = listener_for(rc->cfg, port, &path);
    uint16_t be = htons(*lport);
    uint32_t mark = BB_NFT_MARK;
    bool v6 = nfproto == NFPROTO_IPV6;
    char comment[96];
    snprintf(comment, sizeof(comment), "tproxy tcp/%u to %s:%u", port, v6 ? "[::1]" : "127.0.0.1",
             *lport);
    struct bb_rb b = bb_nb_begin(rc, lport, path, comment);
    if (!gateway)
        bb_rb_u32(&b, NFT_META_MARK, mark); /* marked on output, re-entered via lo */
    bb_rb_dport(&b, IPPROTO_TCP, port);
    bb_rb_counter(&b); /* new connections only: the others take the socket match */
    if (v6)
        bb_rb_imm(&b, NFT_REG_1, &in6addr_loopback, sizeof(in6addr_loopback));
    else {
        uint32_t lo = htonl(INADDR_LOOPBACK);
        bb_rb_imm(&b, NFT_REG_1, &lo, sizeof(lo));
    }
    bb_rb_imm(&b, NFT_REG_2, &be, sizeof(be));
    bb_rb_tproxy(&b, nfproto, NFT_REG_1, NFT_REG_2);
    if (gateway) { /* the mark selects the local route (policy routing) */
        bb_rb_imm(&b, NFT_REG_1, &mark, sizeof(mark));
        bb_rb_meta_set(&b, NFT_META_MARK, NFT_REG_1);
    }
    bb_rb_verdict(&b, NF_ACCEPT);
    bb_nb_end(rc, &b);
}

/* The tproxy rules for every steered port, in rc's chain. */
static void tproxy_rules(struct bb_nb *rc, bool gateway)
{
    uint16_t ports[2];
    size_t n = bb_ruleset_steered_ports(rc->cfg, ports);
    for (size_t i = 0; i < n; i++) {
        rule_tproxy(rc, ports[i], NFPROTO_IPV4, gateway);
        if (rc->cfg->enable_ipv6)
            rule_tproxy(rc, ports[i], NFPROTO_IPV6, gateway);
    }
}

/* Packets after a steered connection's SYN: `socket transparent 1` finds
 * the proxy's accepted socket (IP_TRANSPARENT, from its listener), and
 * early demux then delivers them with the route cached at set-up, where
 * TPROXY's socket assignment would make the kernel skip early demux and
 * route every packet through the policy rules. SYNs always take TPROXY, so
 * a transparent listener of someone else's cannot take a new connection.
 * The gateway marks the packets here for its guards; the sidecar's were
 * marked on output (the mark says a steered port). */
static void rule_established_steered(struct bb_nb *rc, bool gateway)
{
    uint32_t mark = BB_NFT_MARK;
    struct bb_rb b =
        bb_nb_begin(rc, NULL, "",
                    gateway ? "established steered connections: marked, early demux delivers"
                            : "established steered connections: early demux delivers");
    if (!gateway) {
        bb_rb_u32(&b, NFT_META_MARK, mark);
        bb_rb_l4proto(&b, IPPROTO_TCP);
    }
    bb_rb_not_syn(&b);
    bb_rb_socket_transparent(&b);
    if (gateway) {
        bb_rb_imm(&b, NFT_REG_1, &mark, sizeof(mark));
        bb_rb_meta_set(&b, NFT_META_MARK, NFT_REG_1);
    }
    bb_rb_verdict(&b, NF_ACCEPT);
    bb_nb_end(rc, &b);
}

/* ---- the two shapes ---- */

/* "tcp dport|sport @proxy_ports" */
static void match_steered_port(struct bb_rb *b, uint32_t offset)
{
    bb_rb_l4proto(b, IPPROTO_TCP);
    bb_rb_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2, NFT_REG_1);
    bb_rb_lookup(b, NFT_REG_1, SET_PORTS, false);
}

static void sidecar_mark_chain(struct bb_nb *rc)
{
    uint32_t mark = BB_NFT_MARK;
    rc->chain = "steer_mark";
    /* type route: changing the mark here makes the kernel route the packet
     * again, into the policy-routing table (a filter chain would not). */
    bb_nb_add_chain(rc->rs, rc->chain, "route", NF_INET_LOCAL_OUT, BB_NFT_PRIO_MANGLE);
    rule_lo(rc, NFT_RETURN, "skip loopback");
    rule_skuid(rc, NFT_RETURN, "skip");
    struct bb_rb b = bb_nb_begin(rc, &rc->cfg->listen_port, "listen_port",
                                 "mark new outbound tcp to steered ports");
    if (!rc->cfg->enable_ipv6)
        bb_rb_nfproto(&b, NFPROTO_IPV4); /* IPv6 then meets the queue rule */
    bb_rb_ct_original(&b);
    match_steered_port(&b, 2);
    bb_rb_imm(&b, NFT_REG_1, &mark, sizeof(mark));
    bb_rb_meta_set(&b, NFT_META_MARK, NFT_REG_1);
    bb_nb_end(rc, &b);
}

static void build_sidecar(struct bb_nb *rc)
{
    sidecar_mark_chain(rc);
    rc->chain = "steer_tproxy";
    bb_nb_add_chain(rc->rs, rc->chain, "filter", NF_INET_PRE_ROUTING, BB_NFT_PRIO_MANGLE);
    rule_established_steered(rc, false);
    tproxy_rules(rc, false);

    rc->chain = "dns_redirect";
    bb_nb_add_chain(rc->rs, rc->chain, "nat", NF_INET_LOCAL_OUT, BB_NFT_PRIO_DSTNAT);
    rule_skuid(rc, NFT_RETURN, "skip");
    rule_dns_redirect(rc, IPPROTO_UDP);
    rule_dns_redirect(rc, IPPROTO_TCP);

    /* Postrouting, not output: every output-hook chain sees the device
     * chosen before the route chain or the DNS redirect re-routed the
     * packet, so "oifname lo" would miss steered traffic there. Here the
     * device is the final one; a marked packet that policy routing did not
     * send to lo still shows its real device and meets the queue rule. */
    rc->chain = "egress_filter";
    bb_nb_add_chain(rc->rs, rc->chain, "filter", NF_INET_POST_ROUTING, BB_NFT_PRIO_FILTER);
    /* Before the loopback accept: a resolver on loopback needs them too. */
    rule_mark_own(rc);
    rule_queue_reused(rc);
    rule_queue_unredirected_dns(rc);
    rule_lo(rc, NF_ACCEPT, "accept loopback (steered and redirected traffic included)");
    rule_skuid(rc, NF_ACCEPT, "accept");
    rule_ct_state(rc, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED),
                  NF_ACCEPT, "accept established and related");
    rule_queue_invalid(rc);
    rule_nd(rc);
    rule_queue(rc);
}

static void rule_accept_dns(struct bb_nb *rc, uint8_t proto)
{
    char comment[96];
    uint16_t port = htons(rc->cfg->dns.listen_port);
    snprintf(comment, sizeof(comment), "accept redirected DNS (%s/%u)",
             proto == IPPROTO_UDP ? "udp" : "tcp", rc->cfg->dns.listen_port);
    struct bb_rb b = bb_nb_begin(rc, &rc->cfg->dns.listen_port, "dns.listen_port", comment);
    bb_rb_ct_bits(&b, NFT_CT_STATUS, IPS_DST_NAT);
    bb_rb_l4proto(&b, proto);
    bb_rb_payload(&b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
    bb_rb_cmp(&b, NFT_CMP_EQ, NFT_REG_1, &port, sizeof(port));
    bb_rb_verdict(&b, NF_ACCEPT);
    bb_nb_end(rc, &b);
}

/* Returns for whatever is not tcp to a steered port (two rules: a rule
 * whose l4proto test fails goes on to the next). */
static void rule_not_steered(struct bb_nb *rc)
{
    uint8_t tcp = IPPROTO_TCP;
    struct bb_rb b = bb_nb_begin(rc, NULL, "", "not tcp: not steered");
    bb_rb_meta_load(&b, NFT_META_L4PROTO, NFT_REG_1);
    bb_rb_cmp(&b, NFT_CMP_NEQ, NFT_REG_1, &tcp, 1);
    bb_rb_verdict(&b, NFT_RETURN);
    bb_nb_end(rc, &b);
    b = bb_nb_begin(rc, NULL, "", "not to a steered port: not steered");
    bb_rb_payload(&b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
    bb_rb_lookup(&b, NFT_REG_1, SET_PORTS, true);
    bb_rb_verdict(&b, NFT_RETURN);
    bb_nb_end(rc, &b);
}

/*
 * Steered connections skip conntrack, both ways. TPROXY does not need it
 * (the socket lookup finds the connection), and tracking cost a lookup per
 * packet and an entry per connection that outlived it by two minutes: a
 * workload could fill the table through the proxy. Only the steered ports
 * on the client interfaces are untracked: the node's own traffic, DNS
 * (which the redirect needs tracked) and every flow the guards queue keep
 * conntrack.
 *
 * The client side's notrack and tproxy share one chain at raw priority
 * (before conntrack, which must not see the packet): every packet from a
 * client pays one base chain and one interface lookup for both.
 * Only a connection's SYN takes TPROXY (rule_established_steered).
 */
static void gateway_steer(struct bb_nb *rc)
{
    /* The cheap tests come first: the port is a bitmap lookup, the
     * interface a hash of its 16-byte name. The proxy's own upstream
     * packets also pass these hooks, and they leave at the port. */
    rc->chain = "steer_in";
    bb_nb_add_chain(rc->rs, rc->chain, "filter", NF_INET_PRE_ROUTING, BB_NFT_PRIO_RAW);
    rule_not_steered(rc);
    bb_nb_not_client(rc);
    struct bb_rb b = bb_nb_begin(rc, NULL, "", "steered connections skip conntrack (client side)");
    bb_rb_notrack(&b);
    bb_nb_end(rc, &b);
    rule_established_steered(rc, true);
    tproxy_rules(rc, true);

    /* The proxy's replies: locally generated, from the steered port (the
     * accepted socket has the original destination as its address), to a
     * client interface. One rule: a conjunction stops at its first miss. */
    rc->chain = "steer_notrack_out";
    bb_nb_add_chain(rc->rs, rc->chain, "filter", NF_INET_LOCAL_OUT, BB_NFT_PRIO_RAW);
    b = bb_nb_begin(rc, NULL, "gateway.client_interfaces",
                    "steered connections skip conntrack (proxy's replies to a client interface)");
    match_steered_port(&b, 0);
    bb_rb_meta_load(&b, NFT_META_OIFNAME, NFT_REG_1);
    bb_rb_lookup(&b, NFT_REG_1, SET_IFACES, false);
    bb_rb_notrack(&b);
    bb_nb_end(rc, &b);
}

/* The steered connections' mark is tested first: they are nearly all the
 * packets here, and they are untracked, so the ct rules cannot match them
 * anyway. The mark cannot come from a client: it is cleared when a packet
 * crosses into this namespace, and only steer_in sets it. */
static void rule_accept_steered(struct bb_nb *rc)
{
    uint32_t mark = BB_NFT_MARK;
    struct bb_rb b = bb_nb_begin(rc, NULL, "", "accept steered (tproxy) connections");
    bb_rb_u32(&b, NFT_META_MARK, mark);
    bb_rb_verdict(&b, NF_ACCEPT);
    bb_nb_end(rc, &b);
}

static void gateway_guard(struct bb_nb *rc, const char *chain, uint32_t hook, bool input)
{
    rc->chain = chain;
    bb_nb_add_chain(rc->rs, chain, "filter", hook, BB_NFT_PRIO_FILTER);
    /* Before the interface lookup: for any packet not from a client,
     * accepting here and returning to the accept policy are the same. */
    if (input)
        rule_accept_steered(rc);
    bb_nb_not_client(rc);
    rule_ct_state(rc, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED),
                  NF_ACCEPT, "accept established and related");
    rule_queue_invalid(rc);
    if (input) {
        rule_accept_dns(rc, IPPROTO_UDP);
        rule_accept_dns(rc, IPPROTO_TCP);
        rule_nd(rc);
    }
    rule_queue(rc);
}

/* An interface set element: the name, or with patterns ("cali*", an
 * interval set) the range it covers, as a start and an end element. */
static void add_iface(struct bb_nb *rc, size_t i, bool ranges)
{
    const struct bb_config *c = rc->cfg;
    const char *name = c->gateway.client_interfaces[i];
    uint8_t first[IFNAMSIZ], end[IFNAMSIZ];
    bool open_end = bb_nb_iface_range(name, first, end);
    struct bb_nft_obj *o[2] = {bb_nb_add_elem(rc->rs, SET_IFACES, first, IFNAMSIZ), NULL};
    if (ranges && !open_end)
        o[1] = bb_nb_add_elem_flags(rc->rs, SET_IFACES, end, IFNAMSIZ, NFT_SET_ELEM_INTERVAL_END);
    for (size_t k = 0; k < 2; k++) {
        if (o[k] == NULL)
            continue;
        bb_nb_describe(o[k], NULL, "", "element \"%s\"%s of set %s", name, k ? " (its end)" : "",
                       SET_IFACES);
        snprintf(o[k]->path, sizeof(o[k]->path), "gateway.client_interfaces[%zu]", i);
        o[k]->pos = c->gateway.client_interface_pos[i];
    }
}

static void build_gateway(struct bb_nb *rc)
{
    const struct bb_config *c = rc->cfg;
    bool ranges = bb_nb_iface_patterns(c);
    for (size_t i = 0; i < c->gateway.nclient_interfaces; i++)
        add_iface(rc, i, ranges);
    if (c->tenants.n > 0)
        bb_nb_tenant_guard(rc);
    gateway_steer(rc);

    rc->chain = "dns_redirect";
    bb_nb_add_chain(rc->rs, rc->chain, "nat", NF_INET_PRE_ROUTING, BB_NFT_PRIO_DSTNAT);
    bb_nb_not_client(rc);
    rule_dns_redirect(rc, IPPROTO_UDP);
    rule_dns_redirect(rc, IPPROTO_TCP);

    gateway_guard(rc, "guard_input", NF_INET_LOCAL_IN, true);
    gateway_guard(rc, "guard_forward", NF_INET_FORWARD, false);
}

static bool passthrough(const struct bb_config *cfg)
{
    for (size_t i = 0; i < cfg->egress.nrules; i++)
        if (cfg->egress.rules[i].tls == BB_TLS_PASSTHROUGH &&
            cfg->egress.rules[i].action == BB_ACTION_ALLOW)
            return true;
    return false;
}

/* 443 is steered when any tenant may need it: the ports are the gateway's. */
size_t bb_ruleset_steered_ports(const struct bb_config *cfg, uint16_t ports[2])
{
    size_t n = 0;
    bool tls = cfg->tls.enabled || passthrough(cfg);
    for (size_t t = 0; !tls && t < cfg->tenants.n; t++)
        tls = passthrough(cfg->tenants.list[t]);
    ports[n++] = 80;
    if (tls)
        ports[n++] = 443;
    return n;
}

static void add_sets(struct bb_ruleset *rs, const struct bb_config *cfg)
{
    uint16_t ports[2];
    size_t n = bb_ruleset_steered_ports(cfg, ports);
    bb_nb_add_set(rs, SET_PORTS, NFT_TYPE_INET_SERVICE, 2, NFT_BYTEORDER_BIG);
    for (size_t i = 0; i < n; i++) {
        uint16_t be = htons(ports[i]);
        struct bb_nft_obj *o = bb_nb_add_elem(rs, SET_PORTS, &be, sizeof(be));
        if (o != NULL)
            bb_nb_describe(o, NULL, "", "element %u of set %s", ports[i], SET_PORTS);
    }
    bb_nb_add_set(rs, SET_ND, NFT_TYPE_ICMP6_TYPE, 1, NFT_BYTEORDER_BIG);
    for (size_t i = 0; i < sizeof(nd_types); i++) {
        struct bb_nft_obj *o = bb_nb_add_elem(rs, SET_ND, &nd_types[i], 1);
        if (o != NULL)
            bb_nb_describe(o, NULL, "", "element %u of set %s", nd_types[i], SET_ND);
    }
    if (cfg->mode != BB_MODE_GATEWAY)
        return;
    /* a hash of names; an interval set once a pattern is among them */
    struct nftnl_set *s =
        bb_nb_add_set(rs, SET_IFACES, NFT_TYPE_IFNAME, IFNAMSIZ, NFT_BYTEORDER_HOST);
    if (s != NULL && bb_nb_iface_patterns(cfg))
        nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
}

bool bb_nb_iface_patterns(const struct bb_config *cfg)
{
    for (size_t i = 0; i < cfg->gateway.nclient_interfaces; i++)
        if (strchr(cfg->gateway.client_interfaces[i], '*') != NULL)
            return true;
    return false;
}

bool bb_nb_iface_range(const char *name, uint8_t first[IFNAMSIZ], uint8_t end[IFNAMSIZ])
{
    size_t n = strnlen(name, IFNAMSIZ - 1);
    bool pattern = n > 0 && name[n - 1] == '*';
    n -= pattern;
    memset(first, 0, IFNAMSIZ);
    memcpy(first, name, n);
    memcpy(end, first, IFNAMSIZ);
    if (pattern) /* the last name the prefix starts */
        memset(end + n, 0xff, IFNAMSIZ - n);
    bool carry = true; /* then one past it: an interval's end is exclusive */
    for (size_t i = IFNAMSIZ; carry && i-- > 0;)
        carry = ++end[i] == 0;
    return carry;
}

struct bb_ruleset *bb_ruleset_build(const struct bb_config *cfg, enum bb_nft_queue queue)
{
    struct bb_ruleset *rs = bb_ruleset_new(queue);
    if (rs == NULL)
        return NULL;
    struct bb_nb rc = {.rs = rs, .cfg = cfg};
    bb_ruleset_add_table(rs);
    add_sets(rs, cfg);
    if (cfg->mode == BB_MODE_GATEWAY)
        build_gateway(&rc);
    else
        build_sidecar(&rc);
    if (rs->oom) {
        bb_ruleset_free(rs);
        return NULL;
    }
    return rs;
}

/* ---- botbox run's NAT table ---- */

struct bb_ruleset *bb_ruleset_build_masq(const char *table, uint32_t flags, const char *iif,
                                         const char *oif)
{
    struct bb_ruleset *rs = bb_ruleset_new(BB_NFT_QUEUE_COMPAT);
    if (rs == NULL)
        return NULL;
    snprintf(rs->table, sizeof(rs->table), "%s", table);
    rs->table_flags = flags;
    struct bb_nb rc = {.rs = rs, .chain = "masquerade"};
    bb_ruleset_add_table(rs);
    bb_nb_add_chain(rs, rc.chain, "nat", NF_INET_POST_ROUTING, BB_NFT_PRIO_SRCNAT);
    char comment[96];
    snprintf(comment, sizeof(comment), "masquerade what %s forwards", iif);
    struct bb_rb b = bb_nb_begin(&rc, NULL, "", comment);
    bb_rb_ifname(&b, NFT_META_IIFNAME, iif);
    /* Never back out of the link it came in by (the peer's own subnet). */
    bb_rb_ifname_op(&b, NFT_META_OIFNAME, oif ? NFT_CMP_EQ : NFT_CMP_NEQ, oif ? oif : iif);
    bb_rb_masq(&b);
    bb_nb_end(&rc, &b);
    if (rs->oom) {
        bb_ruleset_free(rs);
        return NULL;
    }
    return rs;
}

/*
 * nftables transactions over libmnl (see nft.h).
 *
 * Batch mechanics this file relies on (docs/nft-facts.md §0, §6):
 *  - the kernel processes the whole batch inside sendmsg(); a failing
 *    message gets one NLMSG_ERROR with its own sequence number, processing
 *    goes on (so every error is reported), then everything is aborted;
 *  - an ack is not a commit: only BATCH_END carries NLM_F_ACK, and its ack
 *    is the proof that the batch was committed;
 *  - NEWTABLE, DELTABLE, NEWTABLE in one batch replaces the table whether
 *    or not it existed, atomically.
 * Every message gets its own sequence number, mapped back to the ruleset
 * object it came from, so a refusal names the object and its config line.
 */
#include "nft/nft.h"

#include "common/diag.h"
#include "nft/nft_int.h"
#include "nft/route.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BB_NFT_BATCH_MAX        (8u << 20) /* bytes in one transaction */
#define BB_NFT_MSG_MAX          65536u     /* room kept for the next message */
#define BB_NFT_REPLY_TIMEOUT_MS 3000       /* wait for the kernel's answers */
#define BB_NFT_MAX_REPORTED     32         /* errors reported per transaction */

enum { STEP_BEGIN = -1, STEP_END = -2, STEP_DELETE = -3 };

struct batch {
    char *buf;
    size_t len;
    uint32_t base;  /* seq of BATCH_BEGIN */
    int32_t *steps; /* message i (seq base + i) -> object index or STEP_* */
    size_t nsteps;
};

struct reply {
    int committed;
    size_t nerrors;
    struct bb_nft_refusal errors[BB_NFT_MAX_REPORTED];
};

/* ---- socket ---- */

int bb_nfnl_open(struct mnl_socket **out, struct bb_diag *diag)
{
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    int one = 1;
    if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int err = errno;
        bb_diag_add(diag, BB_DIAG_ERROR, "nftables netlink socket: %s%s", strerror(err),
                    err == EPERM ? " (botbox nft needs CAP_NET_ADMIN: run it as root)" : "");
        if (nl != NULL)
            mnl_socket_close(nl);
        return -1;
    }
    /* Short error replies (no copy of our message) with attribute offsets. */
    mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
    mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
    *out = nl;
    return 0;
}

int bb_nft_socket(struct mnl_socket **out, struct bb_diag *diag)
{
    return bb_nfnl_open(out, diag);
}

/* ---- batch assembly ---- */

static struct nlmsghdr *next_msg(struct batch *b, int32_t step)
{
    if (b->len + BB_NFT_MSG_MAX > BB_NFT_BATCH_MAX)
        return NULL;
    b->steps[b->nsteps++] = step;
    /* buf comes from malloc and len is NLMSG_ALIGNed: aligned for a header. */
    return (struct nlmsghdr *)(void *)(b->buf + b->len);
}

static void commit_msg(struct batch *b, struct nlmsghdr *nlh)
{
    b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static uint32_t seq_of(const struct batch *b)
{
    return b->base + (uint32_t)b->nsteps - 1;
}

static int put_object(struct batch *b, const struct bb_nft_obj *o, int32_t idx)
{
    struct nlmsghdr *nlh = next_msg(b, idx);
    if (nlh == NULL)
        return -1;
    uint32_t seq = seq_of(b);
    switch (o->kind) {
    case BB_NFT_OBJ_TABLE:
        nlh = nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWTABLE, NFPROTO_INET, 0, seq);
        nftnl_table_nlmsg_build_payload(nlh, o->table);
        break;
    case BB_NFT_OBJ_SET:
        nlh = nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE, seq);
        nftnl_set_nlmsg_build_payload(nlh, o->set);
        break;
    case BB_NFT_OBJ_ELEM:
        nlh =
            nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE, seq);
        nftnl_set_elems_nlmsg_build_payload(nlh, o->set);
        break;
    case BB_NFT_OBJ_CHAIN:
        nlh = nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE, seq);
        nftnl_chain_nlmsg_build_payload(nlh, o->chain);
        break;
    case BB_NFT_OBJ_RULE:
        nlh = nftnl_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWRULE, NFPROTO_INET,
                                    NLM_F_CREATE | NLM_F_APPEND, seq);
        nftnl_rule_nlmsg_build_payload(nlh, o->rule);
        break;
    }
    commit_msg(b, nlh);
    return 0;
}

static int put_table_op(struct batch *b, const struct nftnl_table *t, uint16_t type, int32_t step)
{
    struct nlmsghdr *nlh = next_msg(b, step);
    if (nlh == NULL)
        return -1;
    nlh = nftnl_nlmsg_build_hdr((char *)nlh, type, NFPROTO_INET, 0, seq_of(b));
    nftnl_table_nlmsg_build_payload(nlh, t);
    commit_msg(b, nlh);
    return 0;
}

/* BEGIN, NEWTABLE + DELTABLE (removes any previous table, exists or not),
 * then every object unless delete_only, then END with the commit ack. */
static int build_batch(struct batch *b, const struct bb_ruleset *rs, bool delete_only)
{
    const struct nftnl_table *t = rs->objs[0].table;
    b->len = b->nsteps = 0;
    b->base = (uint32_t)time(NULL) << 8;
    struct nlmsghdr *nlh = next_msg(b, STEP_BEGIN);
    commit_msg(b, nftnl_batch_begin((char *)nlh, seq_of(b)));
    if (put_table_op(b, t, NFT_MSG_NEWTABLE, STEP_DELETE) != 0 ||
        put_table_op(b, t, NFT_MSG_DELTABLE, STEP_DELETE) != 0)
        return -1;
    for (size_t i = 0; !delete_only && i < rs->n; i++)
        if (put_object(b, &rs->objs[i], (int32_t)i) != 0)
            return -1;
    if ((nlh = next_msg(b, STEP_END)) == NULL)
        return -1;
    nlh = nftnl_batch_end((char *)nlh, seq_of(b));
    nlh->nlmsg_flags |= NLM_F_ACK; /* only the commit is acknowledged */
    commit_msg(b, nlh);
    return 0;
}

/* ---- replies ---- */

static void on_error_msg(const struct batch *b, const struct nlmsghdr *nlh, struct reply *r)
{
    const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
    uint32_t i = nlh->nlmsg_seq - b->base;
    if (i >= b->nsteps)
        return; /* not ours */
    if (e->error == 0) {
        if (b->steps[i] == STEP_END)
            r->committed = 1;
        return;
    }
    if (r->nerrors < BB_NFT_MAX_REPORTED) {
        r->errors[r->nerrors].step = b->steps[i];
        r->errors[r->nerrors].err = -e->error;
    }
    r->nerrors++;
}

static int read_replies(struct mnl_socket *nl, const struct batch *b, struct reply *r)
{
    static _Alignas(struct nlmsghdr) char buf[1 << 16];
    struct pollfd p = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
    for (;;) {
        /* Answers are queued before sendmsg returns; the timeout only
         * guards against a kernel that never answers. */
        int timeout = (r->committed || r->nerrors) ? 0 : BB_NFT_REPLY_TIMEOUT_MS;
        int n = poll(&p, 1, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (r->committed || r->nerrors) ? 0 : -1;
        ssize_t len = recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (len < 0)
            return (errno == EAGAIN && (r->committed || r->nerrors)) ? 0 : -1;
        const struct nlmsghdr *nlh = (const struct nlmsghdr *)(void *)buf;
        int left = (int)len;
        for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
            if (nlh->nlmsg_type == NLMSG_ERROR)
                on_error_msg(b, nlh, r);
    }
}

/* ---- error reporting ---- */

static void report(const struct bb_ruleset *rs, const struct bb_config *cfg, int32_t step, int err,
                   struct bb_diag *diag)
{
    char where[512];
    const char *what = "the transaction";
    char table_what[96];
    if (cfg == NULL) {
        snprintf(where, sizeof(where), "nft");
        snprintf(table_what, sizeof(table_what), "the %s of table inet %s",
                 rs->n > 1 ? "replacement" : "removal", rs->table);
        if (step == STEP_DELETE)
            what = table_what;
        else if (step >= 0)
            what = rs->objs[step].what;
    } else if (step >= 0) {
        const struct bb_nft_obj *o = &rs->objs[step];
        what = o->what;
        if (o->pos.line != 0)
            snprintf(where, sizeof(where), "%s:%u:%u: %s", cfg->path, o->pos.line, o->pos.col,
                     o->path);
        else if (o->field != NULL || o->path[0] != '\0')
            bb_config_where(cfg, o->field, o->path, where, sizeof(where));
        else
            snprintf(where, sizeof(where), "%s", cfg->path); /* built in, no config key */
    } else {
        snprintf(table_what, sizeof(table_what), "the replacement of table inet %s", rs->table);
        if (step == STEP_DELETE)
            what = table_what;
        snprintf(where, sizeof(where), "%s", cfg->path);
    }
    bb_diag_add(diag, BB_DIAG_ERROR, "%s: kernel refused %s: %s%s", where, what, strerror(err),
                err == EPERM ? " (botbox nft needs CAP_NET_ADMIN: run it as root)" : "");
}

bool bb_nft_only_queue_refused(const struct bb_ruleset *rs, const struct bb_nft_refusal *r,
                               size_t n)
{
    if (rs->queue != BB_NFT_QUEUE_NATIVE || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (r[i].err != ENOENT || r[i].step < 0 || (size_t)r[i].step >= rs->n ||
            !rs->objs[r[i].step].uses_queue)
            return false;
    return true;
}

/* Sends one transaction: replace the table with rs, or (delete_only) just
 * remove it. cfg (NULL for delete_only) names config lines in errors. */
static int transact(struct mnl_socket *keep, const struct bb_ruleset *rs,
                    const struct bb_config *cfg, bool delete_only, int *enoent_queue,
                    struct bb_diag *diag)
{
    struct batch b = {0};
    struct reply r = {0};
    struct mnl_socket *nl = keep;
    int rc = -1;
    *enoent_queue = 0;
    /* Zeroed (calloc of this size costs no memset: fresh pages): libnftnl
     * leaves some pad bytes unwritten, and they go to the kernel. */
    b.buf = calloc(1, BB_NFT_BATCH_MAX);
    b.steps = calloc(BB_NFT_BATCH_MAX / 16, sizeof(int32_t));
    if (b.buf == NULL || b.steps == NULL) {
        bb_diag_add(diag, BB_DIAG_ERROR, "nft: out of memory");
        goto out;
    }
    if (build_batch(&b, rs, delete_only) != 0) {
        bb_diag_add(diag, BB_DIAG_ERROR, "nft: ruleset larger than %u bytes", BB_NFT_BATCH_MAX);
        goto out;
    }
    if (nl == NULL && bb_nfnl_open(&nl, diag) != 0)
        goto out;
    int size = (int)b.len;
    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
    if (mnl_socket_sendto(nl, b.buf, b.len) < 0) {
        bb_diag_add(diag, BB_DIAG_ERROR, "nft: sending the transaction: %s", strerror(errno));
        goto out;
    }
    if (read_replies(nl, &b, &r) != 0) {
        bb_diag_add(diag, BB_DIAG_ERROR, "nft: no answer from the kernel: %s", strerror(errno));
        goto out;
    }
    if (r.committed && r.nerrors == 0) {
        rc = 0;
        goto out;
    }
    if (r.nerrors <= BB_NFT_MAX_REPORTED && bb_nft_only_queue_refused(rs, r.errors, r.nerrors)) {
        *enoent_queue = 1;
        goto out;
    }
    for (size_t i = 0; i < r.nerrors && i < BB_NFT_MAX_REPORTED; i++)
        report(rs, cfg, r.errors[i].step, r.errors[i].err, diag);
    if (r.nerrors > BB_NFT_MAX_REPORTED)
        bb_diag_add(diag, BB_DIAG_ERROR, "nft: %zu more refusals not shown",
                    r.nerrors - BB_NFT_MAX_REPORTED);
    if (r.nerrors == 0)
        bb_diag_add(diag, BB_DIAG_ERROR, "nft: the kernel did not confirm the commit");
out:
    if (nl != NULL && nl != keep)
        mnl_socket_close(nl);
    free(b.buf);
    free(b.steps);
    return rc;
}

int bb_nft_send(const struct bb_ruleset *rs, const struct bb_config *cfg, int *enoent_queue,
                struct bb_diag *diag)
{
    return transact(NULL, rs, cfg, false, enoent_queue, diag);
}

int bb_nft_send_on(struct mnl_socket *nl, const struct bb_ruleset *rs, struct bb_diag *diag)
{
    int enoent_queue;
    return transact(nl, rs, NULL, false, &enoent_queue, diag);
}

static size_t count(const struct bb_ruleset *rs, enum bb_nft_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++)
        n += rs->objs[i].kind == kind;
    return n;
}

int bb_nft_apply(const struct bb_config *cfg, struct bb_nft_report *report_out,
                 struct bb_diag *diag)
{
    return bb_nft_apply_as(cfg, BB_NFT_QUEUE_NATIVE, report_out, diag);
}

int bb_nft_apply_as(const struct bb_config *cfg, enum bb_nft_queue first,
                    struct bb_nft_report *report_out, struct bb_diag *diag)
{
    if (bb_route_apply(cfg->enable_ipv6, diag) != 0)
        return -1;
    enum bb_nft_queue q = first;
    for (int attempt = 1; attempt <= 2; attempt++) {
        struct bb_ruleset *rs = bb_ruleset_build(cfg, q);
        int enoent_queue = 0;
        if (rs == NULL) {
            bb_diag_add(diag, BB_DIAG_ERROR, "nft: out of memory");
            return -1;
        }
        int rc = bb_nft_send(rs, cfg, &enoent_queue, diag);
        if (rc == 0 && report_out != NULL)
            *report_out = (struct bb_nft_report){.queue = q,
                                                 .chains = count(rs, BB_NFT_OBJ_CHAIN),
                                                 .rules = count(rs, BB_NFT_OBJ_RULE),
                                                 .elements = count(rs, BB_NFT_OBJ_ELEM),
                                                 .attempts = attempt};
        bb_ruleset_free(rs);
        if (rc == 0)
            return 0;
        if (!enoent_queue)
            return -1;
        /* No native queue expression in this kernel: the whole batch was
         * aborted, so rebuild it with the compat NFQUEUE target. */
        q = BB_NFT_QUEUE_COMPAT;
    }
    return -1;
}

int bb_nft_flush(struct bb_diag *diag)
{
    struct bb_ruleset *rs = bb_ruleset_new(BB_NFT_QUEUE_COMPAT);
    int enoent_queue, rc = -1;
    if (rs != NULL)
        bb_ruleset_add_table(rs);
    if (rs == NULL || rs->oom) {
        bb_diag_add(diag, BB_DIAG_ERROR, "nft: out of memory");
        goto out;
    }
    rc = transact(NULL, rs, NULL, true, &enoent_queue, diag);
    /* Routing goes even if the table could not: a lone fwmark rule steers
     * nothing, but leaving it would be littering. */
    if (bb_route_flush(diag) != 0)
        rc = -1;
out:
    bb_ruleset_free(rs);
    return rc;
}

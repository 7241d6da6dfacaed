/*
 * nfq_probe: a test NFQUEUE consumer standing in for botbox's verdict thread
 * in the steering scenarios. Binds queue NUM, prints one line per
 * packet ("nfq proto=udp src=... dst=... dport=443 uid=1000"), and gives
 * every packet the verdict named on the command line (drop by default).
 * Prints "ready" once bound. Test tool only: minimal header decoding.
 *
 * usage: nfq_probe QUEUE_NUM [accept|drop]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct mnl_socket *nl;
static uint16_t queue_num;
static int verdict = NF_DROP;

static void send_msg(struct nlmsghdr *nlh)
{
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
        perror("nfq_probe: sendto");
        exit(1);
    }
}

static void describe(const uint8_t *p, size_t len, char *out, size_t cap)
{
    char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?";
    unsigned proto = 0, dport = 0;
    size_t l4 = 0;
    if (len >= 20 && (p[0] >> 4) == 4) {
        proto = p[9];
        l4 = (size_t)(p[0] & 15) * 4;
        inet_ntop(AF_INET, p + 12, src, sizeof(src));
        inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
    } else if (len >= 40 && (p[0] >> 4) == 6) {
        proto = p[6]; /* no extension headers in the tests' packets */
        l4 = 40;
        inet_ntop(AF_INET6, p + 8, src, sizeof(src));
        inet_ntop(AF_INET6, p + 24, dst, sizeof(dst));
    }
    if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= l4 + 4)
        dport = (unsigned)(p[l4 + 2] << 8 | p[l4 + 3]);
    const char *name = proto == IPPROTO_TCP    ? "tcp"
                       : proto == IPPROTO_UDP  ? "udp"
                       : proto == IPPROTO_ICMP ? "icmp"
                       : proto == 58           ? "icmpv6"
                                               : "other";
    snprintf(out, cap, "proto=%s src=%s dst=%s dport=%u", name, src, dst, dport);
}

static int on_packet(const struct nlmsghdr *nlh, void *data)
{
    (void)data;
    struct nlattr *attr[NFQA_MAX + 1] = {0};
    char line[256], buf[8192];
    if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL)
        return MNL_CB_OK;
    struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
    const uint8_t *payload = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload(attr[NFQA_PAYLOAD]) : NULL;
    size_t plen = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]) : 0;
    describe(payload, payload ? plen : 0, line, sizeof(line));
    long uid = attr[NFQA_UID] ? (long)ntohl(mnl_attr_get_u32(attr[NFQA_UID])) : -1;
    printf("nfq %s uid=%ld verdict=%s\n", line, uid, verdict == NF_ACCEPT ? "accept" : "drop");
    fflush(stdout);
    struct nlmsghdr *v = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue_num);
    nfq_nlmsg_verdict_put(v, (int)ntohl(ph->packet_id), verdict);
    send_msg(v);
    return MNL_CB_OK;
}

static void configure(void)
{
    char buf[8192];
    struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
    nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
    send_msg(nlh);
    nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
    nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 128);
    mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_UID_GID));
    mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_UID_GID));
    send_msg(nlh);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nfq_probe QUEUE_NUM [accept|drop]\n");
        return 2;
    }
    queue_num = (uint16_t)strtoul(argv[1], NULL, 10);
    if (argc > 2 && strcmp(argv[2], "accept") == 0)
        verdict = NF_ACCEPT;
    nl = mnl_socket_open(NETLINK_NETFILTER);
    if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        perror("nfq_probe: netlink");
        return 1;
    }
    configure();
    printf("ready\n");
    fflush(stdout);
    static char buf[1 << 16];
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
        if (n < 0) {
            if (errno == ENOBUFS)
                continue;
            perror("nfq_probe: recv");
            return 1;
        }
        mnl_cb_run(buf, (size_t)n, 0, mnl_socket_get_portid(nl), on_packet, NULL);
    }
}

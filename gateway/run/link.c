/* rtnetlink link, address and route requests (see link.h). */
#include "gateway/run/link.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <sys/socket.h>

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    return nlh;
}

int bb_link_veth(struct bb_rtnl *r, const char *name, int name_ns, const char *peer, int peer_ns)
{
    char buf[BB_RTNL_BUF] = {0}; /* pad bytes go to the kernel too */
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    if (name_ns >= 0)
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)name_ns);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    /* The peer's attributes follow its own ifinfomsg. */
    struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
    pifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
    if (peer_ns >= 0)
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_ns);
    mnl_attr_nest_end(nlh, p);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return bb_rtnl_talk(r, nlh);
}

int bb_link_up(struct bb_rtnl *r, const char *name)
{
    char buf[BB_RTNL_BUF] = {0}; /* pad bytes go to the kernel too */
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    return bb_rtnl_talk(r, nlh);
}

int bb_link_del(struct bb_rtnl *r, const char *name)
{
    char buf[BB_RTNL_BUF] = {0}; /* pad bytes go to the kernel too */
    struct nlmsghdr *nlh = link_msg(buf, RTM_DELLINK, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    return bb_rtnl_talk(r, nlh);
}

static int index_cb(const struct nlmsghdr *nlh, void *data)
{
    if (nlh->nlmsg_type == RTM_NEWLINK)
        *(int *)data = ((const struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index;
    return MNL_CB_OK;
}

/* The index of link name in the socket's namespace (if_nametoindex would
 * look in the calling thread's). */
static int link_index(struct bb_rtnl *r, const char *name, int *index)
{
    char buf[BB_RTNL_BUF] = {0}; /* pad bytes go to the kernel too */
    struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    *index = 0;
    int err = bb_rtnl_dump(r, nlh, index_cb, index); /* the answer, then the ack */
    return err != 0 ? err : *index > 0 ? 0 : ENODEV;
}

static int addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

/* A request creating a new object (an address, a route). */
static struct nlmsghdr *create_msg(char *buf, uint16_t type)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    return nlh;
}

int bb_link_addr(struct bb_rtnl *r, const char *name, int family, const void *addr, int plen)
{
    int index, err = link_index(r, name, &index);
    if (err != 0)
        return err;
    char buf[BB_RTNL_BUF] = {0}; /* pad bytes go to the kernel too */
    struct nlmsghdr *nlh = create_msg(buf, RTM_NEWADDR);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = (uint8_t)family;
    ifa->ifa_prefixlen = (uint8_t)plen;
    ifa->ifa_index = (uint32_t)index;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
    mnl_attr_put(nlh, IFA_LOCAL, (size_t)addr_len(family), addr);
    mnl_attr_put(nlh, IFA_ADDRESS, (size_t)addr_len(family), addr);
    return bb_rtnl_talk(r, nlh);
}

int bb_link_default_route(struct bb_rtnl *r, const char *name, int family, const void *gw)
{
    int index, err = link_index(r, name, &index);
    if (err != 0)
        return err;
    char buf[BB_RTNL_BUF] = {0}; /* pad bytes go to the kernel too */
    struct nlmsghdr *nlh = create_msg(buf, RTM_NEWROUTE);
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
    rt->rtm_family = (uint8_t)family;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = gw != NULL ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rt->rtm_type = RTN_UNICAST;
    if (gw != NULL)
        mnl_attr_put(nlh, RTA_GATEWAY, (size_t)addr_len(family), gw);
    mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
    return bb_rtnl_talk(r, nlh);
}

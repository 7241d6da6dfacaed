/*
 * The hop-by-hop list (see hop.h).
 */
#include "common/hop.h"

#include <string.h>
#include <strings.h>

#define NAME(s)                                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }

static const struct {
    const char *name;
    size_t len;
} hop_by_hop[] = {
    NAME("connection"),
    NAME("keep-alive"),
    NAME("proxy-connection"),
    NAME("proxy-authenticate"),
    NAME("proxy-authorization"),
    NAME("te"),
    NAME("trailer"),
    NAME("transfer-encoding"),
    NAME("upgrade"),
    NAME("http2-settings"), /* h2c's offer, meaningless once it is ignored (RFC 9113 §3.2.1) */
};

bool bb_is_hop_by_hop(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(hop_by_hop) / sizeof(hop_by_hop[0]); i++)
        if (hop_by_hop[i].len == len && strncasecmp(name, hop_by_hop[i].name, len) == 0)
            return true;
    return false;
}

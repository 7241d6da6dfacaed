/*
 * The hop-by-hop list (see hop.h).
 */
#include "common/hop.h"

#include <string.h>
#include <strings.h>

static const char *const hop_by_hop[] = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
};

bool bb_is_hop_by_hop(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(hop_by_hop) / sizeof(hop_by_hop[0]); i++)
        if (strlen(hop_by_hop[i]) == len && strncasecmp(name, hop_by_hop[i], len) == 0)
            return true;
    return false;
}

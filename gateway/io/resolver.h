/*
 * Asynchronous name resolution with c-ares, driven by a worker's loop (no
 * blocking getaddrinfo on a loop). Queries go to dns.upstream when set,
 * else to the resolvers of /etc/resolv.conf: never to botbox's own DNS
 * forwarder (the proxy's own queries are not steered). DNS only: /etc/hosts
 * is not consulted. A name is looked up as the absolute name it is, the
 * one the policy matched: never with resolv.conf's search list or ndots
 * (a rule for "intra" was sent, key and all, to intra.<search domain>;
 * under Kubernetes' ndots:5 even "api.example.com" went to the search
 * domains first).
 *
 * A query can be cancelled (the client went away): its callback then never
 * runs. Lookups of a name already being looked up share its queries (a
 * burst of new connections to one host asks once).
 */
#ifndef BB_RESOLVER_H
#define BB_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_RESOLVE_MAX_ADDRS  16   /* addresses kept per name */
#define BB_RESOLVE_NAME_MAX   253  /* a DNS name's text form: longer is refused (NULL) */
#define BB_RESOLVE_TIMEOUT_MS 2000 /* per try (c-ares retries on its own) */
#define BB_RESOLVE_TRIES      2

struct bb_loop;
struct bb_resolver;
struct bb_resolve_req;

struct bb_addrs {
    size_t n;
    struct {
        int family; /* AF_INET or AF_INET6 */
        uint8_t addr[16];
    } a[BB_RESOLVE_MAX_ADDRS];
};

/* status 0 with addrs, or a negative c-ares status (name unknown...). */
typedef void (*bb_resolve_cb)(void *arg, int status, const struct bb_addrs *addrs);

/* server: "" for resolv.conf, else "ip", "ip:port" or "[ip6]:port".
 * forget_ct: delete the conntrack entry of each query socket before it is
 * closed (sidecar mode, where the workload shares the namespace: ctdel.h).
 * Returns NULL on failure (the reason on stderr at start-up). */
struct bb_resolver *bb_resolver_new(struct bb_loop *loop, const char *server, bool forget_ct);
void bb_resolver_free(struct bb_resolver *r);

/* Starts a lookup of A and AAAA records. Returns the request handle (for
 * cancel), or NULL when it could not be started. */
struct bb_resolve_req *bb_resolve(struct bb_resolver *r, const char *name, bb_resolve_cb cb,
                                  void *arg);
void bb_resolve_cancel(struct bb_resolve_req *req);

/* Once per process, before any resolver. Returns 0 or -1. */
int bb_resolver_global_init(void);

#endif

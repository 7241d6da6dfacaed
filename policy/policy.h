/*
 * Policy engine: the compiled, read-only form of egress_policy and the
 * decisions made from it. One call answers one question and returns the
 * verdict together with the rule (or flow) that made it:
 *
 *   bb_policy_check_http   host + port + method + path   (proxy listeners)
 *   bb_policy_check_name   a DNS name                     (DNS forwarder, SNI)
 *   bb_policy_check_flow   proto + address + port         (NFQUEUE verdicts)
 *
 * Host lookups are O(1): an exact-name hash table, then one hash probe per
 * label for "*.suffix" wildcards (longest suffix first, so the most
 * specific wildcard wins, and an exact rule always beats a wildcard).
 * A wildcard matches subdomains only, never the apex.
 *
 * With `enforce: false`, every would-be denial comes back as
 * BB_VERDICT_WOULD_DENY (callers let it through and audit it). Header
 * rewrites are applied only on BB_VERDICT_ALLOW: credentials never go where
 * the policy would not send them.
 *
 * Thread-safety: immutable after bb_policy_new; share freely.
 */
#ifndef BB_POLICY_H
#define BB_POLICY_H

#include "policy/config.h"
#include "policy/host.h"

#include <stddef.h>
#include <stdint.h>

enum bb_verdict { BB_VERDICT_DENY, BB_VERDICT_ALLOW, BB_VERDICT_WOULD_DENY };

enum bb_reason {
    BB_REASON_RULE,             /* an allow rule matched */
    BB_REASON_DEFAULT_ALLOW,    /* no rule; default_action: allow */
    BB_REASON_NO_RULE,          /* no rule; default_action: deny */
    BB_REASON_DENY_RULE,        /* a deny rule matched */
    BB_REASON_PORT,             /* port not allowed for the host */
    BB_REASON_METHOD,           /* method not in the rule's methods */
    BB_REASON_PATH,             /* path outside the rule's paths */
    BB_REASON_AMBIGUOUS_PATH,   /* path refused by the normaliser */
    BB_REASON_BAD_HOST,         /* authority could not be parsed */
    BB_REASON_FORBIDDEN_METHOD, /* CONNECT, TRACE, TRACK: never allowed */
    BB_REASON_FLOW,             /* a flows rule matched */
    BB_REASON_NO_FLOW,          /* no flows rule matched */
};

struct bb_decision {
    enum bb_verdict verdict;
    enum bb_reason reason;
    /* The rule behind the verdict: the matching rule (also for port, method
     * and path denials), the built-in default rule for a default allow, NULL
     * when no rule matched. */
    const struct bb_rule *rule;
    const struct bb_flow *flow; /* check_flow only */
};

struct bb_policy;

/* Compiles cfg's rules. dup (may be NULL) is called for every rule whose
 * normalised host repeats an earlier one; such rules are left out.
 * Returns NULL on out-of-memory. cfg must outlive the policy. */
struct bb_policy *bb_policy_new(const struct bb_config *cfg,
                                void (*dup)(void *arg, const struct bb_rule *first,
                                            const struct bb_rule *again),
                                void *arg);
void bb_policy_free(struct bb_policy *p);

/* The rule for a normalised host: exact, else most specific wildcard, else
 * NULL. Deny rules are returned too. */
const struct bb_rule *bb_policy_match_host(const struct bb_policy *p, const struct bb_host *h);

/* HTTP request decision. authority: Host header or absolute-form authority
 * ("name[:port]"; no port means 443). method: the request method token.
 * target: origin-form request target ("/path?query"); paths are checked only
 * for rules that list paths. */
void bb_policy_check_http(const struct bb_policy *p, const char *authority, size_t alen,
                          const char *method, size_t mlen, const char *target, size_t tlen,
                          struct bb_decision *out);

/* The same from an already parsed host and normalised path (the proxy has
 * both at hand); path NULL with path_error set when normalisation failed. */
void bb_policy_check_http_parsed(const struct bb_policy *p, const struct bb_host *host,
                                 const char *method, size_t mlen, const char *path, size_t pathlen,
                                 const char *path_error, struct bb_decision *out);

/* A method-override header (bb_policy_is_method_override: X-HTTP-Method-
 * Override, X-HTTP-Method, X-Method-Override) names the method many
 * frameworks act on instead of the request's own, so it is judged as one:
 * never CONNECT, TRACE or TRACK, and on a rule that lists methods, one of
 * them. Narrows d (a decision for the same request) to a denial, reason
 * forbidden_method or method_not_allowed (would_deny under enforce: false);
 * a decision that already denies stays as it is. */
void bb_policy_check_method_override(const struct bb_policy *p, const char *method, size_t mlen,
                                     struct bb_decision *d);
bool bb_policy_is_method_override(const char *name, size_t len);

/* May this name be resolved / named in SNI? Port-less: allowed when an allow
 * rule (exact or wildcard) or default allow covers it. */
void bb_policy_check_name(const struct bb_policy *p, const char *name, size_t len,
                          struct bb_decision *out);

/* How many bytes at the start of the name that d (an allow of
 * bb_policy_check_name for a name of len bytes) let through the policy did
 * not write: those a "*.suffix" rule matched, the whole name for a default
 * allow, none for an exact rule. */
size_t bb_policy_unwritten_len(const struct bb_decision *d, size_t len);

/* L4 flow decision for traffic that is not steered HTTP(S). proto:
 * IPPROTO_TCP / IPPROTO_UDP (others never match); addr: 4 or 16 bytes. */
void bb_policy_check_flow(const struct bb_policy *p, int proto, int family, const uint8_t *addr,
                          uint16_t port, struct bb_decision *out);

/* The rule used for default-allowed hosts (no rewrites, port 443 only). */
const struct bb_rule *bb_policy_default_rule(void);

/* "allow", "deny", "would_deny"; and a short reason tag for audit lines. */
const char *bb_verdict_name(enum bb_verdict v);
const char *bb_reason_name(enum bb_reason r);

#endif

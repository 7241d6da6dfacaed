/*
 * The normalised view of a config that `botbox check` prints: listeners,
 * limits, one line per rule and per flow, after defaults and environment
 * overrides. Header rewrite values are never printed (a literal value may be
 * a credential); only the header name and where its value comes from.
 */
#include "policy/config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const char *onoff(bool b)
{
    return b ? "on" : "off";
}

static void print_addr(FILE *out, const char *addr, unsigned port)
{
    fprintf(out, strchr(addr, ':') != NULL ? "[%s]:%u" : "%s:%u", addr, port);
}

static void print_listeners(const struct bb_config *c, FILE *out)
{
    const struct bb_interception *t = &c->tls;
    fprintf(out, "listeners:\n  http          ");
    print_addr(out, c->listen_addr, c->listen_port);
    fprintf(out, "\n  metrics       ");
    print_addr(out, c->metrics_addr, c->metrics_port);
    fprintf(out,
            "\n  dns           port %u (udp+tcp), upstream %s, enforce_names %s, "
            "wildcard_label_max %u\n",
            (unsigned)c->dns.listen_port, c->dns.upstream[0] ? c->dns.upstream : "resolv.conf",
            onoff(c->dns.enforce_names), (unsigned)c->dns.wildcard_label_max);
    if (!t->enabled) {
        fprintf(out, "  interception  off\n");
        return;
    }
    fprintf(out, "  interception  ");
    print_addr(out, t->listen_addr, t->listen_port);
    fprintf(out,
            " ca_cert %s, ca_key %s, cert_ttl %us, cache %u entries / %us, handshake %ums, "
            "sni_host_match %s, deny_handshake_on_disallowed_sni %s, tls12_ciphers %s, http2 %s\n",
            t->ca_cert_path, t->ca_key_path, t->cert_ttl_seconds, t->cert_cache_size,
            t->cert_cache_ttl_seconds, t->handshake_timeout_ms, onoff(t->enforce_sni_host_match),
            onoff(t->deny_handshake_on_disallowed_sni), t->tls12_ciphers, onoff(t->http2));
}

static void print_settings(const struct bb_config *c, FILE *out)
{
    const struct bb_timeouts *to = &c->timeouts;
    fprintf(out, "mode: %s\n", c->mode == BB_MODE_GATEWAY ? "gateway" : "sidecar");
    if (c->mode == BB_MODE_GATEWAY) {
        fprintf(out, "client_interfaces:");
        for (size_t i = 0; i < c->gateway.nclient_interfaces; i++)
            fprintf(out, " %s", c->gateway.client_interfaces[i]);
        fprintf(out, "\n");
    }
    print_listeners(c, out);
    fprintf(out, "proxy_uid: %u, workers: ", c->proxy_uid);
    if (c->workers == 0)
        fprintf(out, "one per CPU");
    else
        fprintf(out, "%u", c->workers);
    fprintf(out, ", max_connections: %u, ipv6: %s, allow_non_loopback: %s\n", c->max_connections,
            onoff(c->enable_ipv6), onoff(c->allow_non_loopback));
    fprintf(out,
            "timeouts (ms): connect %u, request_header %u, response_header %u, idle %u, "
            "shutdown_drain %u\n",
            to->connect_ms, to->request_header_ms, to->response_header_ms, to->idle_ms,
            to->shutdown_drain_ms);
    fprintf(out, "upstream: deny_private %s, http2 %s, trust %s%s\n",
            onoff(c->upstream.deny_private), onoff(c->upstream.http2), "system store",
            c->upstream.ca_file[0] ? " + " : "");
    if (c->upstream.ca_file[0])
        fprintf(out, "  ca_file %s\n", c->upstream.ca_file);
    fprintf(out, "secrets_dir: %s\n", c->secrets_dir);
    fprintf(out, "audit: %s\n",
            c->audit.output == BB_AUDIT_FILE     ? c->audit.path
            : c->audit.output == BB_AUDIT_STDERR ? "stderr"
                                                 : "stdout");
}

static void print_list_ports(FILE *out, const uint16_t *ports, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%u", i ? "," : "", (unsigned)ports[i]);
}

static void print_rule(const struct bb_rule *r, FILE *out)
{
    fprintf(out, "  rule[%u] %s %s", r->index, r->action == BB_ACTION_ALLOW ? "allow" : "deny",
            r->host.name);
    if (r->action == BB_ACTION_DENY) {
        fprintf(out, "\n");
        return;
    }
    fprintf(out, " ports=");
    print_list_ports(out, r->ports, r->nports);
    fprintf(out, " methods=");
    if (r->methods == 0)
        fprintf(out, "any");
    for (unsigned bit = 1, first = 1; bit <= BB_METHOD_OPTIONS; bit <<= 1)
        if (r->methods & bit) {
            fprintf(out, "%s%s", first ? "" : ",", bb_method_name(bit));
            first = 0;
        }
    fprintf(out, " paths=");
    if (r->npaths == 0)
        fprintf(out, "any");
    for (size_t i = 0; i < r->npaths; i++)
        fprintf(out, "%s%s", i ? "," : "", r->paths[i]);
    fprintf(out, " tls=%s", r->tls == BB_TLS_PASSTHROUGH ? "passthrough" : "intercept");
    if (r->allow_private)
        fprintf(out, " allow_private");
    for (size_t i = 0; i < r->nrewrites; i++) {
        const struct bb_rewrite *rw = &r->rewrites[i];
        if (rw->secret_ref != NULL)
            fprintf(out, " set %s<-secret:%s", rw->name, rw->secret_ref);
        else
            fprintf(out, " set %s<-literal", rw->name);
    }
    fprintf(out, "\n");
}

static void print_flow(const struct bb_flow *f, FILE *out)
{
    char cidr[BB_CIDR_TEXT_MAX];
    if (bb_cidr_format(&f->cidr, cidr, sizeof(cidr)) < 0)
        cidr[0] = '\0';
    fprintf(out, "  flow[%u] allow %s %s ports=", f->index, f->proto == IPPROTO_UDP ? "udp" : "tcp",
            cidr);
    print_list_ports(out, f->ports, f->nports);
    fprintf(out, "\n");
}

static void print_credential(const struct bb_credential *cr, FILE *out)
{
    static const char *const where[] = {"headers", "path", "query", "body"};
    fprintf(out, "  credential[%u] %s:%s placeholder=%s+%u random env=%s hosts=", cr->index,
            cr->kind == BB_CRED_OAUTH2 ? "name" : "secret", cr->secret_ref,
            cr->prefix[0] ? cr->prefix : "\"\"", cr->length - (unsigned)strlen(cr->prefix),
            cr->env);
    for (size_t i = 0; i < cr->nhosts; i++)
        fprintf(out, "%s%s", i ? "," : "", cr->hosts[i].name);
    if (cr->kind == BB_CRED_AWS_SIGV4) {
        fprintf(out,
                "%s aws_sigv4 secret_access_key:%s session_token:%s region=%s service=%s%s%s\n",
                cr->hosts_default ? " (its rules)" : "", cr->secret_key_ref,
                cr->token_ref ? cr->token_ref : "-", cr->region[0] ? cr->region : "(host)",
                cr->service[0] ? cr->service : "(host)", cr->secret_env[0] ? " secret_env=" : "",
                cr->secret_env);
        return;
    }
    if (cr->kind == BB_CRED_OAUTH2) {
        fprintf(out, " oauth2 grant=%s token_url=%s client_id:%s client_secret:%s",
                cr->grant == BB_GRANT_REFRESH_TOKEN ? "refresh_token" : "client_credentials",
                cr->token_url, cr->client_id_ref ? cr->client_id_ref : "-",
                cr->client_secret_ref ? cr->client_secret_ref : "-");
        fprintf(out, " refresh_token:%s auth=%s scope=\"%s\" audience=\"%s\" refresh_before=%us\n",
                cr->refresh_token_ref ? cr->refresh_token_ref : "-",
                cr->client_auth == BB_OAUTH_AUTH_POST ? "post" : "basic", cr->scope, cr->audience,
                cr->refresh_before);
        return;
    }
    fprintf(out, "%s substitute_in=", cr->hosts_default ? " (its rules)" : "");
    for (unsigned k = 0, first = 1; k < 4; k++)
        if (cr->substitute_in & (1u << k)) {
            fprintf(out, "%s%s", first ? "" : ",", where[k]);
            first = 0;
        }
    fprintf(out, "\n");
}

static void print_credentials(const struct bb_config *c, FILE *out)
{
    fprintf(out, "redaction: %s, compressed answers %s\n", onoff(c->redaction.enabled),
            c->redaction.compressed == BB_COMPRESSED_PASS ? "passed unscanned" : "refused");
    if (c->credentials.n == 0)
        return;
    fprintf(out, "credentials: %zu, placeholders_file %s\n", c->credentials.n,
            c->placeholders_file[0] ? c->placeholders_file : "none");
    for (size_t i = 0; i < c->credentials.n; i++)
        print_credential(&c->credentials.list[i], out);
}

/* The policy, credentials and redaction: the whole config's, or a tenant's. */
static void print_policy(const struct bb_config *c, FILE *out)
{
    fprintf(out, "policy: default %s, enforce %s, %zu rules, %zu flows\n",
            c->egress.default_action == BB_ACTION_ALLOW ? "allow" : "deny",
            onoff(c->egress.enforce), c->egress.nrules, c->egress.nflows);
    for (size_t i = 0; i < c->egress.nrules; i++)
        print_rule(&c->egress.rules[i], out);
    for (size_t i = 0; i < c->egress.nflows; i++)
        print_flow(&c->egress.flows[i], out);
    print_credentials(c, out);
}

static void print_tenant(const struct bb_config *base, const struct bb_config *t, FILE *out)
{
    char cidr[BB_CIDR_TEXT_MAX];
    fprintf(out, "tenant[%u] %s: interfaces=", t->tenant_index, t->tenant_name);
    for (size_t i = 0; i < t->match.nifaces; i++)
        fprintf(out, "%s%s", i ? "," : "", base->gateway.client_interfaces[t->match.ifaces[i]]);
    fprintf(out, " sources=");
    for (size_t i = 0; i < t->match.nsources; i++) {
        bb_cidr_format(&t->match.sources[i], cidr, sizeof(cidr));
        fprintf(out, "%s%s", i ? "," : "", cidr);
    }
    fprintf(out, " secrets_dir=%s", t->secrets_dir);
    for (size_t i = 0; i < t->nsecret_names; i++)
        fprintf(out, "%s%s", i ? "," : " secrets=", t->secret_names[i]);
    fprintf(out, " dns enforce_names %s, max_connections %u\n", onoff(t->dns.enforce_names),
            t->max_connections);
    print_policy(t, out);
}

void bb_config_print(const struct bb_config *c, FILE *out)
{
    print_settings(c, out);
    if (c->tenants.n == 0) {
        print_policy(c, out);
        return;
    }
    fprintf(out, "tenants: %zu, a client no match covers: %s\n", c->tenants.n,
            c->unmatched[0] ? c->unmatched : "refused");
    for (size_t i = 0; i < c->tenants.n; i++)
        print_tenant(c, c->tenants.list[i], out);
}

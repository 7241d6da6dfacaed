/*
 * Proxy internals shared by proxy.c (client side, pipeline, life cycle),
 * proxy_up.c (upstream side: resolve, dial, relay) and proxy_tls.c (the
 * interception listener). Not for other modules; tests may include it.
 *
 * One struct bb_proxy per client connection; its state says what it waits for:
 *
 *   HELLO      interception listener: the ClientHello, read and looked at
 *              (SNI) before anything is decided (timer: handshake_timeout)
 *   HANDSHAKE  TLS with the client, with the leaf minted for its SNI
 *              (timer: handshake_timeout); then HEAD as for plain HTTP.
 *              Passthrough skips it: RESOLVE, CONNECT, then TUNNEL with
 *              the ClientHello replayed
 *   HEAD     reading a request head (timer: request_header; with nothing
 *            received, the connection just closes)
 *   IDLE     between keep-alive requests, buffers held (timer:
 *            BB_IDLE_RELEASE_MS, then IDLE_BARE)
 *   IDLE_BARE  the same with buffers and the request part given back
 *            (timer: the rest of timeouts.idle, then close); the first
 *            byte of a head makes either HEAD
 *   TOKEN    waiting for an oauth2 credential's access token, nothing
 *            dialled (proxy_oauth.c; timer: BB_MINT_WAIT_MS)
 *   RESOLVE  the destination name is being resolved      (timer: connect)
 *   CONNECT  TCP connect + TLS handshake upstream         (timer: connect)
 *   FORWARD  request head sent, body streaming up, response streaming down
 *            (timer: response_header until the response head, then idle)
 *   TUNNEL   after a 101 for a WebSocket: bytes both ways  (timer: idle)
 *   DRAIN    flushing a final response (timer: idle); then the close, at
 *            once when the client asked for it with nothing unread
 *            (clean_end), else LINGER
 *   LINGER   the write side is shut and input is read and discarded for a
 *            bounded time (BB_LINGER_MS, BB_LINGER_MAX_BYTES), so a client
 *            still sending sees the response rather than a reset
 *   H2       the handshake selected h2: the connection carries an nghttp2
 *            session (h2.c), and each stream is a request of its own, a
 *            struct bb_proxy of its own (p->stream) whose client side is
 *            that stream: it goes through HEAD ... DRAIN as above, reading
 *            an HTTP/1.1 request made from the stream and writing an
 *            HTTP/1.1 answer that h2.c turns back into frames (timer:
 *            timeouts.idle while no stream is open, then GOAWAY)
 *
 * Who moves it: proxy.c accept → HELLO or HEAD, HEAD → (decided) the
 * upstream side, a request's end → IDLE/IDLE_BARE/HEAD or DRAIN, any
 * refusal → DRAIN (bb_proxy_fail, bb_proxy_drain), DRAIN → LINGER, IDLE →
 * IDLE_BARE; proxy_tls.c HELLO → HANDSHAKE → HEAD (bb_proxy_begin_http), or
 * HELLO → RESOLVE for passthrough, HANDSHAKE → H2 (bb_h2c_start); proxy_up.c RESOLVE → CONNECT →
 * FORWARD → TUNNEL (a 101), TUNNEL → DRAIN when the upstream ends it.
 *
 * Interest in both sockets is recomputed in one place (bb_proxy_update) after
 * every step, from the state and the fill of the buffers: a side is read
 * only while the other side's output is under BB_PROXY_WATERMARK
 * (backpressure), and bodies are decoded BB_PROXY_FEED bytes at a time, so
 * no output buffer (BB_PROXY_OUT, BB_UPSTREAM_OUT) can reach its limit.
 */
#ifndef BB_PROXY_INT_H
#define BB_PROXY_INT_H

#include "common/buf.h"
#include "gateway/cred/minter.h"
#include "gateway/cred/sigv4.h"
#include "gateway/io/conn.h"
#include "gateway/http/http_body.h"
#include "gateway/http/http_out.h"
#include "gateway/io/loop.h"
#include "gateway/state/metrics.h"
#include "gateway/proxy/proxy.h"
#include "gateway/proxy/upstream.h"
#include "gateway/io/resolver.h"
#include "gateway/state/snapshot.h"
#include "gateway/proxy/proxy_ctx.h"
#include "gateway/state/shared.h"
#include "policy/path.h"
#include "policy/policy.h"
#include "tls/hello.h"

#define BB_PROXY_READ            16384u /* bytes per read call */
#define BB_PROXY_READS_PER_EVENT 16     /* reads of bytes waiting in TLS, then others get a turn */
#define BB_PROXY_WATERMARK       (64u * 1024u) /* stop reading the other side */
#define BB_PROXY_FEED                                                                              \
    (64u * 1024u) /* body bytes decoded per step: with the watermark, at                           \
                     most 128 KiB + framing in a 256 KiB buffer */
#define BB_PROXY_CLIENT_IN  (BB_HTTP_HEAD_MAX + BB_PROXY_READ) /* head + a read */
#define BB_PROXY_OUT        (256u * 1024u)                     /* output buffers, either side */
#define BB_PROXY_ADDR_MAX   64                                 /* "[v6]:port" */
#define BB_LINGER_MS        2000u           /* drain a closing client at most this long */
#define BB_LINGER_MAX_BYTES (1024u * 1024u) /* ... and at most this much */
#define BB_IDLE_RELEASE_MS  1000u /* an idle keep-alive connection's buffers go back after */
#define BB_SPARE_CONNS      32u   /* closed connections a worker keeps for its next accepts */
#define BB_SPARE_BUF_MAX    (16u * 1024u) /* ... with those of their buffers up to this size */
#define BB_REFUSE_DRAIN     4096u /* bytes read from a refused connection before closing it */
/* A body with a Content-Length whose placeholders change its length is
 * held whole up to this (then sent with its new length; a longer one is
 * re-framed chunked), as long as what it may become fits
 * BB_CRED_HOLD_BUF. */
#define BB_CRED_HOLD_MAX (64u * 1024u)
#define BB_CRED_HOLD_BUF (128u * 1024u)
/* An answer held to be redacted that is still coming after this streams
 * on instead, its Content-Length kept (length-keeping replacements): a
 * slow one is not held back to its end. */
#define BB_CRED_HOLD_MS 500u
/* A request body an AWS SDK signed without saying its hash
 * (x-amz-content-sha256): held to hash it, up to this; longer is 413
 * sigv4_unhashed_body (docs/security.md, "AWS SigV4"). */
#define BB_SIGV4_HOLD_MAX (1024u * 1024u)

enum bb_proxy_state {
    P_HELLO,
    P_HANDSHAKE,
    P_HEAD,
    P_IDLE,
    P_IDLE_BARE,
    P_TOKEN,
    P_RESOLVE,
    P_CONNECT,
    P_FORWARD,
    P_TUNNEL,
    P_DRAIN,
    P_LINGER,
    P_H2
};

/* What a request needs from its first byte to its end: the parsers and
 * parsed heads of both sides, the target, the host and the decision. Kept
 * apart from struct bb_proxy (p->r) so that an idle keep-alive connection
 * gives it back with its buffers (after BB_IDLE_RELEASE_MS) and holds its
 * struct only (the sizes: docs/benchmarks.md, RSS per idle keep-alive
 * connection). A connection gets one when it
 * is accepted and again when the next request's first bytes arrive
 * (bb_proxy_req_take); p->r is NULL only in IDLE_BARE. */
struct bb_proxy_req {
    llhttp_t reqp;
    struct bb_http_head req;
    struct bb_http_body reqbody;
    struct bb_target target;
    struct bb_host host;
    struct bb_decision dec;
    llhttp_t respp;
    struct bb_http_head resp;
    struct bb_http_body respbody;

    /* credentials (proxy_cred.c): the plan, the body's and the answer's
     * streams, what they did */
    const struct bb_cred_plan *plan;
    struct bb_subst reqsub, respsub;
    bool req_subst, resp_subst; /* those streams are on */
    bool redaction_skipped;     /* a compressed answer passed (redaction.compressed: pass) */
    bool resp_held;             /* the answer is held whole, its head written at its end */
    bool resp_close;            /* ... with Connection: close */
    uint64_t held_since;        /* ... since (the loop's clock, ms) */
    enum bb_inject_framing up_framing;
    struct bb_buf held; /* BB_INJ_LENGTH: the substituted body, until its end; a held answer's */
    uint32_t substituted, redacted;
    uint64_t cred_tags, red_tags; /* credential indexes; the plan's names */

    /* AWS SigV4 (proxy_sigv4.c): the request is signed again upstream */
    bool aws, presigned;
    bool aws_sha_header;              /* x-amz-content-sha256 goes up (S3, or the client sent it) */
    const char *aws_upstream_err;     /* the answer said RequestTimeTooSkewed */
    const struct bb_hdr *aws_payload; /* the client's x-amz-content-sha256 kept, or NULL */
    char aws_region[BB_SIGV4_SCOPE_PART_MAX + 1], aws_service[BB_SIGV4_SCOPE_PART_MAX + 1];

    /* OAuth2 (proxy_oauth.c): the access token the request carries, the
     * wait for one, and the answer's redaction sets with it */
    struct bb_token *oauth_tok;
    struct bb_mint_wait *oauth_wait;
    bool oauth_retried; /* sent again after a 401 */
    bool oauth_sets;    /* oauth_resp, oauth_resp_same are the answer's */
    void *oauth_mem;    /* their patterns and mask */
    struct bb_subst_set oauth_resp, oauth_resp_same;
};

struct bb_proxy {
    struct bb_proxy_ctx *ctx;  /* the thread's: loop, pool, storage */
    LIST_ENTRY(bb_proxy) link; /* in the worker's live connections, or its spares once closed */
    struct bb_io io;
    struct bb_conn client;
    uint32_t rd_want, wr_want; /* client: events the transport waits for */
    bool upd_queued;           /* bb_proxy_update deferred to the end of the pass */
    bool cl_kicked;            /* a read of client bytes waiting inside TLS is scheduled */
    bool in_unwanted;          /* input arrived while none was wanted: disarm EPOLLIN */
    struct bb_buf cin, cout;
    enum bb_proxy_state st;
    struct bb_timer timer;
    bool clean_end;   /* DRAIN: the client asked to close after a complete request: no LINGER */
    bool unread_body; /* answered before the request body ended: the connection is not reused */
    size_t lingered;  /* LINGER: input read and discarded */
    bool dead;        /* freed at the end of this iteration */
    char src[BB_PROXY_ADDR_MAX], dst[BB_PROXY_ADDR_MAX];
    struct sockaddr_storage peer; /* the client: its address names its tenant */
    bool unmatched;               /* it has none: every request is refused */
    atomic_uint *tconns;          /* its tenant's open connections, counting this one; or NULL */

    /* the interception listener */
    bool tls;         /* came to it: TLS, and the per-request checks apply */
    bool passthrough; /* spliced to the upstream undecrypted */
    char *sni; /* TLS listener: the ClientHello's name (malloc'd: plain connections carry none) */

    /* HTTP/2 (h2.c) */
    struct bb_h2c *h2;  /* P_H2: the connection's session */
    struct bb_h2s *h2s; /* a stream's request: the stream it reads and answers (NULL once gone) */
    bool stream;        /* this is a stream's request, not a connection */
    uint32_t stream_id; /* for the audit line */

    /* the current request */
    struct bb_proxy_req *r;   /* NULL in an idle connection that gave it back */
    bool head_started;        /* bytes of this request's head arrived */
    struct bb_snapshot *snap; /* pinned from the head until the request ends */
    char *head;               /* a copy of the head bytes: req points into it */
    size_t head_size;         /* head's memory, from the worker's blocks */
    bool req_done;
    char *path; /* normalised target, when it normalised: inside head's allocation */
    size_t path_len;
    bool websocket;
    uint16_t port;
    struct bb_buf up_head; /* the rebuilt request head, until a connection takes it */
    size_t ninjected;      /* the rule's first ninjected rewrites went upstream */
    struct bb_resolve_req *rq;
    struct bb_upconn *up;
    struct bb_upconn *wait_on;      /* the dial it waits for (proxy_up.c), or NULL */
    LIST_ENTRY(bb_proxy) wait_link; /* in wait_on->waiters */
    uint32_t up_rd_want, up_wr_want;
    bool up_kicked; /* a read of bytes waiting inside TLS is scheduled */
    int attempts;

    /* the response */
    char *rhead; /* the response head's bytes: resp points into it */
    size_t rhead_size;
    bool resp_started, resp_done;
    enum bb_http_out_framing rframing;

    /* for the audit line */
    bool audited;    /* this request's line is written: one per request */
    const char *end; /* how it ended, if not whole (struct bb_audit_http) */
    uint64_t rid, t0, bytes_in, bytes_out;
    uint64_t t0_us; /* for the duration histogram */
    int status;
    const char *decision, *reason;
};

/* The config a request sees: its pinned snapshot's, else the worker's. */
const struct bb_config *bb_proxy_cfg(const struct bb_proxy *p);
void bb_proxy_pin(struct bb_proxy *p);

/* ---- proxy.c ---- */
/* Memory for a head's copy, n bytes from the worker's blocks, into *at
 * (*size: what was taken); what *at held is given back first. NULL when
 * memory ran out. */
char *bb_proxy_head_mem(struct bb_proxy *p, char **at, size_t *size, size_t n);
/* The upstream pool's key, "host:port" or "[v6]:port": built when needed,
 * not kept in every connection (an idle one holds its struct only). */
void bb_proxy_pool_key(const struct bb_proxy *p, char key[BB_POOL_KEY_MAX]);
/* Gives *at back (NULL is fine) and clears it. */
void bb_proxy_head_put(struct bb_proxy *p, char **at, size_t *size);
/* Header-line memory for h (BB_HTTP_LINES_BYTES from the worker's blocks),
 * unless it has some: kept until the request ends, so that an idle
 * connection holds none. False when memory ran out. */
bool bb_proxy_lines_take(struct bb_proxy *p, struct bb_http_head *h);
/* Gives h's lines back (none is fine); h must be cleared, or be, before
 * anything reads it again. */
void bb_proxy_lines_put(struct bb_proxy *p, struct bb_http_head *h);
/* Flushes what the proxy has to send and sets its interest: at the end of
 * the loop's pass when called from an event or a timer (proxy.c says why),
 * at once otherwise. */
void bb_proxy_update(struct bb_proxy *p);
void bb_proxy_fail(struct bb_proxy *p, int status, const char *body, const char *reason);
void bb_proxy_request_done(struct bb_proxy *p);
/* A final answer is in cout: DRAIN, and the connection ends once it is
 * flushed (LINGER first when input may be left unread). */
void bb_proxy_drain(struct bb_proxy *p);
void bb_proxy_close(struct bb_proxy *p);
/* bb_proxy_close for an exchange cut off: end says how (the audit line's
 * "end", unless an earlier cause was recorded). */
void bb_proxy_cut(struct bb_proxy *p, const char *end);
int bb_proxy_flush_client(struct bb_proxy *p);
void bb_proxy_arm(struct bb_proxy *p, uint64_t ms);
/* The client's TLS is up: HTTP from here, as on the plain listener. Reads
 * at once what OpenSSL may already hold (the client's first request can
 * arrive with its Finished message, and epoll would not say so again). */
void bb_proxy_begin_http(struct bb_proxy *p);

/* ---- proxy.c, for h2.c ---- */
/* A request of its own for stream `id` of the HTTP/2 connection conn:
 * its client side is ops (over s, p->h2s), it starts in HEAD and reads
 * when woken. NULL when memory ran out. */
struct bb_proxy *bb_proxy_stream_open(struct bb_proxy *conn, const struct bb_conn_ops *ops,
                                      uint32_t id, struct bb_h2s *s);
/* Refuses a stream's request before its head reaches the pipeline (the
 * RFC 9113 checks of h2_head.c failed): the answer and the audit line of
 * the HTTP/1.1 path, with h (pointing into the caller's memory, used only
 * during the call) for the line's method and path. */
void bb_proxy_stream_refuse(struct bb_proxy *p, const struct bb_http_head *h, int status,
                            const char *body, const char *reason);
/* Reads p's client side after this iteration's events (a stream's bytes
 * arrived: no epoll event says so). */
void bb_proxy_wake(struct bb_proxy *p);

/* The pipeline from the upstream head on (a request that waited for its
 * token, or goes again after a 401): the head built, the body's first
 * bytes checked, the upstream dialled or taken from the pool. */
void bb_proxy_resume(struct bb_proxy *p);

/* The head for upstream into p->up_head, again: held_len >= 0 gives the
 * Content-Length of a held body (proxy_cred.c). False: p failed. */
bool bb_proxy_build_head(struct bb_proxy *p, uint64_t held_len);

/* ---- proxy_cred.c ---- */
/* The client waits for 100 Continue before its body: it cannot be held. */
bool bb_proxy_expects_continue(const struct bb_http_head *h);
/* After the decision: the request's plan; a placeholder where its
 * credential is not bound is refused (403 credential_misuse; false). */
bool bb_proxy_cred_start(struct bb_proxy *p);
/* A denied request that carries a placeholder of a credential not bound
 * to its host is refused as credential_misuse rather than as denied
 * (true: answered). */
bool bb_proxy_cred_denied(struct bb_proxy *p);
/* The plan's part of the upstream head. */
void bb_proxy_cred_inject(struct bb_proxy *p, struct bb_inject *inj);
/* Fails p for the refusing pattern tag: 500 secret_not_available for a
 * bound credential without its secret, else 403 credential_misuse. */
void bb_proxy_cred_refuse(struct bb_proxy *p, int tag);
/* The request body's bytes (llhttp's on_data), through the plan. */
int bb_proxy_cred_body(struct bb_proxy *p, const char *data, size_t n);
/* Bytes of the request body as they go upstream, framed (or held). */
int bb_proxy_cred_write_up(void *arg, const char *data, size_t n);
/* The request body's end: 0, -1 or BB_SUBST_REFUSED. */
int bb_proxy_cred_body_end(struct bb_proxy *p);
/* The head waits for the body's end (a held body). */
bool bb_proxy_cred_holds(const struct bb_proxy *p);
/* An answer's head arrived: redaction on or off, its framing; a
 * compressed one is refused (false) under redaction.compressed: refuse. */
bool bb_proxy_cred_answer(struct bb_proxy *p);
/* The answer's head into cout, redacted. */
int bb_proxy_cred_write_answer_head(struct bb_proxy *p, bool close, bool upgrade);
/* Answer bytes, redacted, framed into cout. */
int bb_proxy_cred_answer_data(struct bb_proxy *p, const char *data, size_t n);
/* The answer's end: the held tail, the trailers redacted, the framing's end. */
int bb_proxy_cred_answer_end(struct bb_proxy *p);
/* Nothing of the answer has reached the client yet (it is held). */
bool bb_proxy_cred_answer_unsent(const struct bb_proxy *p);
/* The names of the credentials this request used or misused. */
size_t bb_proxy_cred_names(const struct bb_proxy *p, const char **names, size_t cap);
/* The request ended: its plan and streams go. */
void bb_proxy_cred_done(struct bb_proxy *p);

/* ---- proxy_sigv4.c ---- */
/* An allowed request to a host an aws_sigv4 credential is bound to: what
 * the client signed with is checked (403 credential_misuse unless the
 * placeholder access key id), the region and service chosen, the
 * payload's hash kept, or the body held to compute it. False: p failed. */
bool bb_proxy_sigv4_start(struct bb_proxy *p);
/* p->up_head signed again with the real keys: the client's signature
 * headers (or a presigned URL's query) replaced. False: p failed. */
bool bb_proxy_sigv4_sign(struct bb_proxy *p);
/* An answer's head and bytes: AWS's RequestTimeTooSkewed is noted for
 * the audit line. */
void bb_proxy_sigv4_answer(struct bb_proxy *p, const char *data, size_t n);

/* ---- proxy_oauth.c ---- */
/* An allowed request to a host an oauth2 credential is bound to: true
 * when its token is attached and the pipeline goes on; false when p
 * waits for one (TOKEN) or failed. */
bool bb_proxy_oauth_start(struct bb_proxy *p);
/* p waits for a token no more (it failed, closed, or moves on). */
void bb_proxy_oauth_cancel(struct bb_proxy *p);
/* TOKEN's timer ran out: 502 credential_unavailable. */
void bb_proxy_oauth_timeout(struct bb_proxy *p);
/* A 401 answer's head was read (and nothing of it sent): true when the
 * request goes again with a new token, the answer dropped. */
bool bb_proxy_oauth_retry(struct bb_proxy *p);
/* The answer's redaction set (same: the length-keeping one), the token's
 * included; NULL when there is none. */
const struct bb_subst_set *bb_proxy_resp_set(const struct bb_proxy_req *r, bool same);
/* The request's token and sets go. */
void bb_proxy_oauth_done(struct bb_proxy_req *r);

/* ---- proxy_tls.c ---- */
/* HELLO: looks at the ClientHello in cin and decides (intercept,
 * passthrough or refuse). */
void bb_proxy_tls_hello(struct bb_proxy *p);
/* HANDSHAKE: drives the client handshake. */
void bb_proxy_tls_handshake(struct bb_proxy *p);
/* The interception listener's per-request checks (docs/reference.md §4), before
 * the pipeline. false: the request was answered. */
bool bb_proxy_tls_request_ok(struct bb_proxy *p);
/* Ends a connection that never got to HTTP (refused hello, failed
 * handshake, failed passthrough): one tls audit line, then a reset. */
void bb_proxy_tls_refuse(struct bb_proxy *p, const char *decision, const char *reason);
/* The handshake timer ran out. */
void bb_proxy_tls_timeout(struct bb_proxy *p);

/* ---- proxy_up.c ---- */
/* Takes the decided request upstream: pool, literal address or resolver. */
void bb_proxy_go_upstream(struct bb_proxy *p);
/* The client sent body bytes (or closed): forward what can be forwarded. */
int bb_proxy_pump_request(struct bb_proxy *p);
/* Writes what the upstream connection's output holds, at once when it was
 * not known to block (no EPOLLOUT round trip for a request head). An error
 * ends the request as a lost upstream would. */
void bb_proxy_flush_upstream_now(struct bb_proxy *p);
/* The upstream is readable again for us while bytes wait inside its TLS:
 * reads them after this iteration's events (epoll would not say so). */
void bb_proxy_kick_upstream(struct bb_proxy *p);
/* Releases the upstream side; keep says it may return to the pool. */
void bb_proxy_release_upstream(struct bb_proxy *p, bool keep);
/* p's dial failed (its timer: reason): the requests waiting for it fail
 * with the same reason rather than dial again one after the other. */
void bb_proxy_dial_failed(struct bb_proxy *p, const char *reason);

#endif

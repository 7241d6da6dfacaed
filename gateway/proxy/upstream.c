/*
 * Upstream dialling, TLS client context and keep-alive pool (see
 * upstream.h). The pool is a list per worker (no locks); idle connections
 * are watched for readability, since an idle HTTP connection that becomes
 * readable has been closed or is misbehaving, and is dropped either way.
 */
#include "gateway/proxy/upstream.h"
#include "common/log.h"
#include "common/macros.h"

#include "policy/config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct session {
    char key[BB_POOL_KEY_MAX];
    SSL_SESSION *s;
};

struct bb_pool {
    struct bb_loop *loop;
    SSL_CTX *ctx;
    uint64_t idle_ms;
    void (*freed)(void *arg, size_t bytes);
    void *freed_arg;
    struct bb_upconn *idle;
    size_t nidle;
    struct session sessions[BB_TLS_SESSIONS];
    size_t next_session;
};

static void session_store(struct bb_pool *p, const char *key, SSL_SESSION *s);

/* OpenSSL hands over a resumable session here: with TLS 1.3 the tickets
 * arrive after the handshake, so the session at handshake time would not
 * resume. The connection is the SSL's app data. */
static int on_new_session(SSL *ssl, SSL_SESSION *s)
{
    struct bb_upconn *u = SSL_get_app_data(ssl);
    if (u == NULL)
        return 0;
    session_store(u->pool, u->key, s);
    return 1; /* the cache keeps the reference */
}

/* True when dir holds OpenSSL's hashed names ("5ad8a5d6.0"), which lets
 * the store look issuers up one file at a time. */
static bool hashed_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    while (d != NULL && !found && (e = readdir(d)) != NULL) {
        size_t hex = strspn(e->d_name, "0123456789abcdef");
        found = hex == 8 && e->d_name[8] == '.' && e->d_name[9] >= '0' && e->d_name[9] <= '9';
    }
    if (d != NULL)
        closedir(d);
    return found;
}

/* The system trust store. SSL_CTX_set_default_verify_paths would parse
 * the whole bundle file (some 140 certificates, tens of milliseconds) at
 * every start, which botbox run pays on every command; the hashed
 * directory gives the same anchors, read when an issuer is first needed.
 * The bundle is still read when there is no such directory, or when
 * SSL_CERT_FILE names one explicitly. */
static int system_store(SSL_CTX *ctx)
{
    const char *dir = getenv(X509_get_default_cert_dir_env());
    const char *file = getenv(X509_get_default_cert_file_env());
    if (dir == NULL)
        dir = X509_get_default_cert_dir();
    bool lazy = hashed_dir(dir);
    if (lazy && SSL_CTX_load_verify_dir(ctx, dir) != 1)
        return -1;
    if (!lazy || file != NULL) {
        if (file == NULL)
            file = X509_get_default_cert_file();
        if (access(file, R_OK) == 0 && SSL_CTX_load_verify_file(ctx, file) != 1)
            return -1;
    }
    return 0;
}

SSL_CTX *bb_upstream_tls_ctx(const struct bb_config *cfg)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* A close-delimited body ends with a plain TCP close on many servers;
     * treat it as the end of the stream, not as an error. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* Output buffers compact between a WANT_WRITE and its retry: the same
     * bytes may sit at another address. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* One read() per record instead of two (its 5-byte header, then the
     * rest), and sometimes several records per read(). The price: bytes
     * can wait inside OpenSSL where epoll cannot see them, so the proxy
     * reads on while bb_conn_pending() says so (proxy_up.c). */
    SSL_CTX_set_read_ahead(ctx, 1);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    if (system_store(ctx) != 0)
        goto fail;
    if (cfg->upstream.ca_file[0] != '\0' &&
        SSL_CTX_load_verify_locations(ctx, cfg->upstream.ca_file, NULL) != 1) {
        bb_log_warnx("upstream.ca_file %s: cannot load trust anchors", cfg->upstream.ca_file);
        goto fail;
    }
    return ctx;
fail:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

/* ---- sessions (per worker, tiny round-robin cache) ---- */

static SSL_SESSION *session_find(struct bb_pool *p, const char *key)
{
    for (size_t i = 0; i < BB_TLS_SESSIONS; i++)
        if (p->sessions[i].s != NULL && strcmp(p->sessions[i].key, key) == 0)
            return p->sessions[i].s;
    return NULL;
}

/* Takes ownership of s. */
static void session_store(struct bb_pool *p, const char *key, SSL_SESSION *s)
{
    struct session *slot = NULL;
    for (size_t i = 0; i < BB_TLS_SESSIONS && slot == NULL; i++)
        if (p->sessions[i].s != NULL && strcmp(p->sessions[i].key, key) == 0)
            slot = &p->sessions[i];
    if (slot == NULL) {
        slot = &p->sessions[p->next_session];
        p->next_session = (p->next_session + 1) % BB_TLS_SESSIONS;
    }
    if (slot->s != NULL)
        SSL_SESSION_free(slot->s);
    snprintf(slot->key, sizeof(slot->key), "%s", key);
    slot->s = s;
}

/* ---- dial ---- */

struct bb_upconn *bb_upstream_dial(struct bb_pool *pool, int family, const uint8_t *addr,
                                   uint16_t port, const char *host, bool host_is_ip,
                                   const char *key, bool tls, bool h2)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        memcpy(&sin->sin_addr, addr, 4);
        sl = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        memcpy(&sin6->sin6_addr, addr, 16);
        sl = sizeof(*sin6);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    struct bb_upconn *u = calloc(1, sizeof(*u));
    if (u != NULL && !tls)
        bb_conn_plain(&u->conn, fd);
    if (u == NULL || (tls && bb_conn_tls_client(&u->conn, fd, pool->ctx, host, host_is_ip,
                                                session_find(pool, key)) != 0)) {
        free(u);
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    u->pool = pool;
    u->state = BB_UP_CONNECTING;
    static const unsigned char both[] = "\x02h2\x08http/1.1";
    if (tls) {
        SSL_set_app_data(u->conn.ssl, u);
        if (h2) /* the context offers http/1.1 alone */
            SSL_set_alpn_protos(u->conn.ssl, both, sizeof(both) - 1);
    }
    snprintf(u->key, sizeof(u->key), "%s", key);
    bb_buf_init(&u->in, BB_UPSTREAM_IN);
    bb_buf_init(&u->out, BB_UPSTREAM_OUT);
    return u;
}

int bb_upstream_progress(struct bb_upconn *u)
{
    if (u->state == BB_UP_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(u->conn.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            errno = err ? err : errno;
            return -1;
        }
        u->state = BB_UP_HANDSHAKE;
    }
    if (u->state == BB_UP_HANDSHAKE) {
        int r = bb_conn_handshake(&u->conn);
        if (r <= 0)
            return r;
        u->state = BB_UP_READY;
    }
    return 1;
}

static void free_upconn(struct bb_loop *l, void *arg)
{
    (void)l;
    struct bb_upconn *u = arg;
    bb_buf_free(&u->in);
    bb_buf_free(&u->out);
    free(u);
}

/* Closes now, frees after this loop iteration: it may be running inside
 * its own I/O callback. */
void bb_upstream_close(struct bb_loop *l, struct bb_upconn *u)
{
    if (u == NULL)
        return;
    bb_loop_io_del(l, &u->io);
    bb_loop_timer_cancel(l, &u->idle);
    bb_conn_close(&u->conn);
    u->owner = NULL;
    if (bb_loop_defer(l, free_upconn, u) != 0)
        free_upconn(l, u);
}

/* ---- pool ---- */

struct bb_pool *bb_pool_new(struct bb_loop *loop, SSL_CTX *ctx, uint64_t idle_ms,
                            void (*freed)(void *arg, size_t bytes), void *arg)
{
    struct bb_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->loop = loop;
    p->ctx = ctx;
    p->idle_ms = idle_ms;
    p->freed = freed;
    p->freed_arg = arg;
    return p;
}

static void unlink_idle(struct bb_pool *p, struct bb_upconn *u)
{
    for (struct bb_upconn **pp = &p->idle; *pp != NULL; pp = &(*pp)->next)
        if (*pp == u) {
            *pp = u->next;
            u->next = NULL;
            p->nidle--;
            return;
        }
}

/* An idle connection became readable or its idle time ran out: it goes. */
static void idle_event(struct bb_loop *l, struct bb_io *io, uint32_t events)
{
    (void)events;
    struct bb_upconn *u = BB_CONTAINER_OF(io, struct bb_upconn, io);
    unlink_idle(u->pool, u);
    bb_upstream_close(l, u);
}

static void idle_timeout(struct bb_loop *l, struct bb_timer *t)
{
    struct bb_upconn *u = BB_CONTAINER_OF(t, struct bb_upconn, idle);
    idle_event(l, &u->io, 0);
}

/* Idle for BB_POOL_RELEASE_MS: most pooled connections wait far longer
 * than a request takes (a sidecar is idle most of the time), so their
 * buffers, ours and OpenSSL's (a record's worth each way), go back to the
 * allocator; a reuse allocates them again. What HAProxy and nginx do with
 * SSL_MODE_RELEASE_BUFFERS, once per idle period instead of per read. */
static void idle_release(struct bb_loop *l, struct bb_timer *t)
{
    struct bb_upconn *u = BB_CONTAINER_OF(t, struct bb_upconn, idle);
    struct bb_pool *p = u->pool;
    size_t n = bb_buf_free(&u->in) + bb_buf_free(&u->out);
    bb_conn_release(&u->conn);
    if (p->freed != NULL)
        p->freed(p->freed_arg, n);
    bb_loop_timer_set(l, &u->idle, p->idle_ms - BB_POOL_RELEASE_MS, idle_timeout);
}

void bb_pool_put(struct bb_pool *p, struct bb_upconn *u)
{
    /* Bytes after a complete response would be taken for the next one's:
     * such a connection is not reused, whether they wait in the socket
     * (the idle watch sees them), in u->in, or inside TLS (read-ahead). */
    if (p->nidle >= BB_POOL_MAX_IDLE || bb_buf_size(&u->in) != 0 ||
        (bb_conn_pending(&u->conn) && bb_conn_peek_data(&u->conn) != 0)) {
        bb_upstream_close(p->loop, u); /* full, or unread bytes: not reusable */
        return;
    }
    u->owner = NULL;
    u->next = p->idle;
    p->idle = u;
    p->nidle++;
    bb_buf_reset(&u->out);
    u->io.cb = idle_event;
    bb_loop_io_set(p->loop, &u->io, EPOLLIN | EPOLLRDHUP);
    if (p->idle_ms > BB_POOL_RELEASE_MS)
        bb_loop_timer_set(p->loop, &u->idle, BB_POOL_RELEASE_MS, idle_release);
    else
        bb_loop_timer_set(p->loop, &u->idle, p->idle_ms, idle_timeout);
}

struct bb_upconn *bb_pool_get(struct bb_pool *p, const char *key)
{
    for (struct bb_upconn *u = p->idle; u != NULL; u = u->next)
        if (strcmp(u->key, key) == 0) {
            unlink_idle(p, u);
            bb_loop_timer_cancel(p->loop, &u->idle);
            u->reused = true;
            return u;
        }
    return NULL;
}

void bb_pool_free(struct bb_pool *p)
{
    if (p == NULL)
        return;
    while (p->idle != NULL) {
        struct bb_upconn *u = p->idle;
        p->idle = u->next;
        bb_upstream_close(p->loop, u);
    }
    for (size_t i = 0; i < BB_TLS_SESSIONS; i++)
        if (p->sessions[i].s != NULL)
            SSL_SESSION_free(p->sessions[i].s);
    free(p);
}

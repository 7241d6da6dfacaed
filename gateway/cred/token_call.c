/*
 * One exchange with a token endpoint (see token_call.h).
 */
#include "gateway/cred/token_call.h"

#include "gateway/io/loop.h"
#include "gateway/io/resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t bb_token_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int remaining(const struct bb_token_call *f)
{
    uint64_t now = bb_token_now_ms();
    return now >= f->deadline ? 0 : (int)(f->deadline - now);
}

/* -- resolving, on a loop of the thread's own -- */

struct lookup {
    struct bb_loop *loop;
    struct bb_addrs addrs;
    int status;
    bool done;
    struct bb_timer t;
};

static void looked_up(void *arg, int status, const struct bb_addrs *a)
{
    struct lookup *k = arg;
    k->status = status;
    if (status == 0)
        k->addrs = *a;
    k->done = true;
    bb_loop_stop(k->loop);
}

static void lookup_timeout(struct bb_loop *l, struct bb_timer *t)
{
    (void)t;
    bb_loop_stop(l);
}

static const char *resolve(struct bb_token_call *f, struct bb_addrs *out)
{
    out->n = 1;
    if (inet_pton(AF_INET, f->host, out->a[0].addr) == 1) {
        out->a[0].family = AF_INET;
        return NULL;
    }
    if (inet_pton(AF_INET6, f->host, out->a[0].addr) == 1) {
        out->a[0].family = AF_INET6;
        return NULL;
    }
    struct lookup k = {.status = -1};
    struct bb_resolver *r = NULL;
    struct bb_resolve_req *q = NULL;
    if ((k.loop = bb_loop_new()) != NULL &&
        (r = bb_resolver_new(k.loop, f->dns, f->forget_ct)) != NULL &&
        (q = bb_resolve(r, f->host, looked_up, &k)) != NULL) {
        bb_loop_timer_set(k.loop, &k.t, (uint64_t)remaining(f), lookup_timeout);
        bb_loop_run(k.loop);
        if (!k.done)
            bb_resolve_cancel(q);
    }
    bb_resolver_free(r);
    bb_loop_free(k.loop);
    *out = k.addrs;
    return !k.done                        ? "token_endpoint_resolve_timeout"
           : k.status != 0 || out->n == 0 ? "token_endpoint_unresolved"
                                          : NULL;
}

/* -- dialling and TLS, blocking with the deadline as the bound -- */

static void set_timeouts(int fd, int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int dial_one(struct bb_token_call *f, int family, const uint8_t *addr)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        *s4 = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(f->port)};
        memcpy(&s4->sin_addr, addr, 4);
        sl = sizeof(*s4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        *s6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_port = htons(f->port)};
        memcpy(&s6->sin6_addr, addr, 16);
        sl = sizeof(*s6);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int err = 0;
    socklen_t el = sizeof(err);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0 &&
        (errno != EINPROGRESS || poll(&p, 1, remaining(f)) != 1 ||
         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/* A blocking call came back for its SO_RCVTIMEO / SO_SNDTIMEO. */
static bool timed_out(const struct bb_token_call *f)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || remaining(f) == 0;
}

/* All of the request: the client context allows partial writes. */
static bool write_all(struct bb_token_call *f, SSL *ssl)
{
    for (size_t off = 0; off < f->req_len;) {
        int n = SSL_write(ssl, f->req + off, (int)(f->req_len - off));
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    return true;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    struct bb_token_call *f = p->data;
    if (n > sizeof(f->body) - f->body_len) {
        f->too_large = true;
        return -1;
    }
    memcpy(f->body + f->body_len, at, n);
    f->body_len += n;
    return 0;
}

static int on_complete(llhttp_t *p)
{
    ((struct bb_token_call *)p->data)->complete = true;
    return HPE_PAUSED;
}

/* The answer, read until its end (or the connection's, for a body
 * delimited by it). A reason, or NULL. */
static const char *read_answer(struct bb_token_call *f, SSL *ssl, int fd)
{
    char buf[16384];
    llhttp_settings_init(&f->settings);
    f->settings.on_body = on_body;
    f->settings.on_message_complete = on_complete;
    llhttp_init(&f->parser, HTTP_RESPONSE, &f->settings);
    f->parser.data = f;
    while (!f->complete) {
        int ms = remaining(f);
        if (ms == 0)
            return "token_endpoint_timeout";
        set_timeouts(fd, ms);
        errno = 0;
        int n = SSL_read(ssl, buf, sizeof(buf));
        if (n <= 0) {
            int e = SSL_get_error(ssl, n);
            bool eof = e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0);
            if (eof && llhttp_finish(&f->parser) == HPE_OK && f->parser.status_code != 0)
                break;
            return timed_out(f) ? "token_endpoint_timeout" : "token_endpoint_closed";
        }
        llhttp_errno_t e = llhttp_execute(&f->parser, buf, (size_t)n);
        if (e != HPE_OK && e != HPE_PAUSED)
            return f->too_large ? "token_answer_too_large" : "token_endpoint_protocol";
    }
    f->status = f->parser.status_code;
    return NULL;
}

static const char *exchange(struct bb_token_call *f, int fd)
{
    SSL *ssl = SSL_new(f->ctx);
    if (ssl == NULL)
        return "out_of_memory";
    SSL_set_fd(ssl, fd);
    unsigned char ip[16];
    if (inet_pton(AF_INET, f->host, ip) == 1 || inet_pton(AF_INET6, f->host, ip) == 1) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), f->host);
    } else {
        SSL_set_tlsext_host_name(ssl, f->host);
        SSL_set1_host(ssl, f->host);
    }
    const char *why = NULL;
    set_timeouts(fd, remaining(f));
    errno = 0;
    if (SSL_connect(ssl) != 1)
        why = SSL_get_verify_result(ssl) != X509_V_OK ? "token_endpoint_tls_verify"
              : timed_out(f)                          ? "token_endpoint_timeout"
                                                      : "token_endpoint_tls";
    else if (!write_all(f, ssl))
        why = timed_out(f) ? "token_endpoint_timeout" : "token_endpoint_closed";
    else
        why = read_answer(f, ssl, fd);
    SSL_free(ssl);
    ERR_clear_error();
    return why;
}

const char *bb_token_call(struct bb_token_call *f)
{
    struct bb_addrs a;
    const char *why = resolve(f, &a);
    int fd = -1;
    for (size_t i = 0; why == NULL && fd < 0 && i < a.n && remaining(f) > 0; i++)
        fd = dial_one(f, a.a[i].family, a.a[i].addr);
    if (why == NULL && fd < 0)
        why = remaining(f) == 0 ? "token_endpoint_timeout" : "token_endpoint_unreachable";
    if (why == NULL)
        why = exchange(f, fd);
    if (fd >= 0)
        close(fd);
    return why;
}

/* ---- writing back ---- */

/* A rotated refresh token into its file: a temporary file beside it,
 * renamed over it. */
bool bb_token_write_back(const char *path, const char *v, size_t n)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.botbox-new", path) >= (int)sizeof(tmp))
        return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return false;
    bool ok = write(fd, v, n) == (ssize_t)n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    return ok;
}

/*
 * HTTP/2 on the interception listener (docs/proxy.md, "HTTP/2"): an
 * nghttp2 server session per connection whose handshake selected h2.
 * nghttp2 does the framing, HPACK, flow control and the protocol's own
 * checks; this module does what is policy:
 *
 *   - each stream's header fields are checked again (h2_head.c) and made
 *     into an HTTP/1.1 request, which a request of its own (a struct
 *     bb_proxy with p->stream, proxy.c) reads through a transport over the
 *     stream and takes through the HTTP/1.1 pipeline unchanged: SNI pin,
 *     policy, rewrites, upstream, audit line, metrics;
 *   - that request's HTTP/1.1 answer is parsed back (http_head.c,
 *     http_body.c) into HEADERS and DATA on the stream;
 *   - flow control is the backpressure: a stream's window opens only as
 *     its request reads the body (no automatic WINDOW_UPDATE), and DATA
 *     is taken from the request's output only while the client's window
 *     and the connection's output allow, so neither side's speed becomes
 *     botbox's memory;
 *   - the limits below, each with its outcome.
 *
 * One stream's refusal is that stream's answer (or RST_STREAM): the other
 * streams of the connection carry on.
 */
#ifndef BB_H2_H
#define BB_H2_H

#include <stdbool.h>

struct bb_proxy;
struct bb_h2c;

/* Streams open at once per connection (SETTINGS_MAX_CONCURRENT_STREAMS);
 * one more is refused with RST_STREAM REFUSED_STREAM (the client may
 * retry it), by nghttp2 and by the count here. */
#define BB_H2_MAX_STREAMS 100u
/* Request body bytes a stream may send ahead of what its request has
 * read (SETTINGS_INITIAL_WINDOW_SIZE), and all streams of a connection
 * together (the connection window). */
#define BB_H2_STREAM_WINDOW (256u * 1024u)
#define BB_H2_CONN_WINDOW   (1024u * 1024u)
/* HPACK dynamic table, either way (SETTINGS_HEADER_TABLE_SIZE: the
 * protocol's default, so a client's table costs at most this). */
#define BB_H2_HPACK_TABLE 4096u
/* CONTINUATION frames after one HEADERS: beyond, GOAWAY ENHANCE_YOUR_CALM
 * (CVE-2024-27316: a header block that never ends; the size of what it
 * carries is bounded by BB_HTTP_HEAD_MAX as well). */
#define BB_H2_CONTINUATIONS_MAX 16u
/* Per BB_H2_RATE_WINDOW_MS: streams the client resets (CVE-2023-44487,
 * rapid reset), and SETTINGS and PING frames it sends; beyond either,
 * GOAWAY ENHANCE_YOUR_CALM and the connection closes. */
#define BB_H2_RATE_WINDOW_MS 1000u
#define BB_H2_RESETS_MAX     100u
#define BB_H2_CONTROL_MAX    100u
/* SETTINGS entries in one frame (nghttp2: beyond, a connection error). */
#define BB_H2_SETTINGS_MAX 32u
/* Frame-and-send rounds per update while the socket takes everything. */
#define BB_H2_SEND_ROUNDS 4u
/* Request body bytes a client may still send on a stream after its whole
 * answer went (a refusal before the body was read): read and dropped,
 * and past this the stream is reset with NO_ERROR (RFC 9113 §8.1). A
 * reset at once would reach clients whose last DATA is in flight, and
 * some (libcurl 7.88) report it as an error after a complete answer. */
#define BB_H2_DISCARD_MAX (64u * 1024u)

/* p's handshake selected h2: the session starts (our SETTINGS queued) and
 * p is P_H2. false: out of memory, p is closed. */
bool bb_h2c_start(struct bb_proxy *p);
/* Gives what p->cin holds to the session (consumed whole). */
void bb_h2c_input(struct bb_h2c *c);
/* Appends frames to p->cout up to BB_PROXY_WATERMARK. */
void bb_h2c_output(struct bb_h2c *c);
bool bb_h2c_wants_input(const struct bb_h2c *c);
bool bb_h2c_wants_output(const struct bb_h2c *c);
/* Nothing more to read or to send: the connection can close. */
bool bb_h2c_finished(const struct bb_h2c *c);
/* No stream is open. */
bool bb_h2c_idle(const struct bb_h2c *c);
/* p's timer ran out: with no stream open, GOAWAY (then, after
 * BB_LINGER_MS, the close); streams keep their own timers. */
void bb_h2c_timeout(struct bb_h2c *c);
/* The connection closes: the requests of open streams are cut
 * ("client_closed"), the session freed. */
void bb_h2c_free(struct bb_h2c *c);

#endif

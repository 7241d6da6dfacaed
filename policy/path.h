/*
 * Request path normalisation for policy path prefixes.
 *
 * The goal is one reading of a path that botbox and any upstream agree on.
 * Only the path is normalised (the query, from the first '?', is checked
 * for RFC 3986 characters and complete escapes, then returned untouched as a
 * suffix and never matched):
 *   - percent-escapes of unreserved characters (ALPHA DIGIT - _ ~) are
 *     decoded; other escapes are kept with upper-case hex;
 *   - dot segments ("." and "..") are removed (RFC 3986 §5.2.4), and ".."
 *     above the root is refused;
 *   - refused as ambiguous, because servers disagree about them: escaped
 *     '.', '/', '\' or NUL (%2e %2f %5c %00), a literal '\', empty segments
 *     ("//", which some servers merge), a dot segment with ';' parameters
 *     ("..;", ".;x": Tomcat, Jetty and Spring resolve them as dots), a
 *     malformed escape, and any byte outside RFC 3986 pchar / '/'. A
 *     refused path is denied, never guessed (on a rule with paths).
 *
 * Pure: bytes in, normalised bytes out; no I/O, no NUL termination assumed.
 * Returns NULL when valid, else a static reason.
 */
#ifndef BB_PATH_H
#define BB_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define BB_PATH_MAX 8192 /* bytes in a path (and its query) we normalise */

/* in/len: an origin-form request target ("/a/b?q"). On success out holds the
 * normalised path followed by the untouched query (if any), NUL-terminated,
 * *outlen its length and *pathlen the length of the path part. cap must be at
 * least len + 1 (normalising never makes a target longer). */
const char *bb_path_normalize(const char *in, size_t len, char *out, size_t cap, size_t *outlen,
                              size_t *pathlen);

/* Segment-aware prefix match on normalised paths: prefix "/v1" matches "/v1"
 * and "/v1/x" but not "/v1beta"; a prefix ending in '/' matches what starts
 * with it. */
bool bb_path_has_prefix(const char *path, size_t pathlen, const char *prefix, size_t prefixlen);

#endif

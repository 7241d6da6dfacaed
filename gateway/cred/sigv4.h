/*
 * AWS Signature Version 4, as AWS defines it (docs/security.md, "AWS
 * SigV4"): the canonical request, the string to sign, the signing key
 * and the signature, and the parsing of what a client's SDK signed with
 * (its Authorization header or a presigned URL's X-Amz-Credential).
 *
 * Encodings: a canonical URI is the path decoded and encoded again, every
 * byte but A-Z a-z 0-9 - . _ ~ and '/' as %XX in upper case; for every
 * service but S3 it is first freed of dot and empty segments and then
 * encoded a second time (AWS's "double encoding"). A canonical query has
 * each name and value decoded and encoded the same way, sorted by name
 * then value. Header values are trimmed and their runs of spaces made
 * one; names are lower case and sorted, values of one name joined by
 * ','.
 *
 * Pure: no clock, no I/O; HMAC-SHA256 and SHA-256 from OpenSSL.
 */
#ifndef BB_SIGV4_H
#define BB_SIGV4_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define BB_SIGV4_ALGORITHM      "AWS4-HMAC-SHA256"
#define BB_SIGV4_EMPTY_SHA256   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define BB_SIGV4_UNSIGNED       "UNSIGNED-PAYLOAD"
#define BB_SIGV4_SCOPE_PART_MAX 64     /* a region's or a service's name */
#define BB_SIGV4_HEADERS_MAX    64     /* signed header fields of one request */
#define BB_SIGV4_QUERY_MAX      128    /* query parameters of one request */
#define BB_SIGV4_SEGMENTS_MAX   256    /* path segments of one request (not S3) */
#define BB_SIGV4_EXPIRES_MAX    604800 /* a presigned URL's X-Amz-Expires (7 days, as AWS) */

/* What a client signed with: "AKID/YYYYMMDD/region/service/aws4_request"
 * and, from an Authorization header, its SignedHeaders. Slices of the
 * parsed text. */
struct bb_sigv4_auth {
    const char *akid, *date, *region, *service, *signed_headers;
    size_t akid_len, region_len, service_len, signed_len; /* date: 8 */
};

/* Parses an Authorization value "AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=..." (any order, spaces after commas).
 * 0, or -1 when it is not one. */
int bb_sigv4_parse_auth(const char *v, size_t n, struct bb_sigv4_auth *a);
/* Parses a credential scope "AKID/YYYYMMDD/region/service/aws4_request"
 * (X-Amz-Credential, decoded). 0 or -1. */
int bb_sigv4_parse_credential(const char *v, size_t n, struct bb_sigv4_auth *a);

/* The canonical URI of a request path (no query). 0, or -1 when out is
 * full. */
int bb_sigv4_canon_uri(struct bb_buf *out, const char *path, size_t n, bool s3);
/* The canonical query string of a query (the part after '?', without
 * it); X-Amz-Signature is left out (a presigned URL signs the rest).
 * 0, or -1 when out is full or it has more than BB_SIGV4_QUERY_MAX
 * parameters. */
int bb_sigv4_canon_query(struct bb_buf *out, const char *q, size_t n);
/* Appends s with every byte but the unreserved ones as %XX (a query
 * parameter's name or value). 0 or -1. */
int bb_sigv4_encode(struct bb_buf *out, const char *s, size_t n);

/* s with its valid %XX decoded into out (cap bytes): the length, or
 * SIZE_MAX when out is too small. */
size_t bb_sigv4_decode(const char *s, size_t n, char *out, size_t cap);

/* One header field to sign. */
struct bb_sigv4_hdr {
    const char *name, *value;
    size_t name_len, value_len;
};

/* The request to sign, as it goes upstream. */
struct bb_sigv4_req {
    const char *method, *path, *query; /* query: after '?', or NULL */
    size_t method_len, path_len, query_len;
    const struct bb_sigv4_hdr *hdrs;
    size_t nhdrs;
    const char *payload_hash; /* 64 hex digits, or UNSIGNED-PAYLOAD */
    bool s3;                  /* S3's single encoding, no path normalisation */
};

/* The canonical request of r into out and its SignedHeaders ("a;b;c")
 * into signed_names. 0, or -1 when a buffer is full or r has more than
 * BB_SIGV4_HEADERS_MAX fields. */
int bb_sigv4_canonical(struct bb_buf *out, struct bb_buf *signed_names, struct bb_sigv4_req *r);

/* The signature (64 hex digits and a NUL) of a canonical request made at
 * amz_date ("YYYYMMDDTHHMMSSZ") for region and service with the secret
 * access key. 0, or -1 when OpenSSL fails. */
int bb_sigv4_signature(const char *secret, size_t secret_len, const char *amz_date,
                       const char *region, const char *service, const char *creq, size_t creq_len,
                       char sig[65]);

/* SHA-256 of p as 64 hex digits and a NUL. */
void bb_sigv4_sha256_hex(const void *p, size_t n, char hex[65]);

/* The region and service a host names: <service>.<region>.amazonaws.com,
 * S3's virtual-host (<bucket>.s3[.-]<region>.amazonaws.com) and path
 * styles (s3.amazonaws.com is us-east-1), and the endpoints whose
 * signing name differs (bedrock-runtime signs as bedrock). false when
 * the host is not one of these. */
bool bb_sigv4_from_host(const char *host, char region[BB_SIGV4_SCOPE_PART_MAX + 1],
                        char service[BB_SIGV4_SCOPE_PART_MAX + 1]);

#endif

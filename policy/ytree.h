/*
 * YAML tree: the first phase of config loading. Parses YAML bytes with
 * libyaml into a small read-only tree in which every node remembers its line
 * and column, so the second phase (config.c) can attribute every error.
 *
 * Deliberately a subset of YAML, refused with a positioned reason:
 * anchors and aliases (no alias bombs), explicit tags, non-scalar keys,
 * duplicate keys, several documents, NUL bytes and invalid UTF-8. Every size
 * is bounded by a named constant below.
 *
 * Pure: bytes in, tree or error out; no I/O, no globals.
 */
#ifndef BB_YTREE_H
#define BB_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_YAML_MAX_BYTES    (64u << 20) /* whole document */
#define BB_YAML_MAX_DEPTH    64          /* nested collections */
#define BB_YAML_MAX_NODES    8000000u    /* scalars + collections */
#define BB_YAML_MAX_SCALAR   65536u      /* bytes in one scalar */
#define BB_YAML_MAX_MAP_KEYS 256u        /* keys in one mapping */

enum bb_ykind { BB_Y_SCALAR, BB_Y_MAP, BB_Y_SEQ };

/* A node. Children are a linked list (first, next); for a mapping the
 * children are the key nodes (scalars) and each key's value is key->value. */
struct bb_ynode {
    enum bb_ykind kind;
    uint32_t line, col; /* 1-based */
    const char *str;    /* scalars: NUL-terminated text */
    size_t len;         /* scalars: bytes in str */
    bool plain;         /* scalars: plain style (not quoted, not block) */
    size_t count;       /* collections: number of items / keys */
    struct bb_ynode *first, *last, *next;
    struct bb_ynode *value; /* mapping keys only */
};

/* Where and why parsing failed. */
struct bb_yerr {
    uint32_t line, col; /* 1-based; 0 when no position applies */
    char msg[192];
};

struct bb_ytree;

/* Parses len bytes at buf. Returns the tree, or NULL with *err filled. */
struct bb_ytree *bb_ytree_parse(const char *buf, size_t len, struct bb_yerr *err);

/* The document's root node (never NULL for a parsed tree). */
const struct bb_ynode *bb_ytree_root(const struct bb_ytree *t);

void bb_ytree_free(struct bb_ytree *t);

/* True for a plain scalar spelling null: empty, "~", "null", "Null", "NULL". */
bool bb_ynode_is_null(const struct bb_ynode *n);

/* The value of key `key` in mapping m, or NULL (also when m is not a map). */
const struct bb_ynode *bb_ymap_get(const struct bb_ynode *m, const char *key);

#endif

/*
 * YAML tree builder: drives libyaml's event parser and assembles nodes with
 * an explicit stack (no recursion, so depth is a checked limit rather than a
 * stack overflow). Nodes and strings live in one arena freed with the tree.
 */
#include "policy/ytree.h"

#include "common/arena.h"
#include "common/utf8.h"

#include <stdarg.h>
#include <string.h>
#include <yaml.h>

struct bb_ytree {
    struct bb_arena *arena;
    struct bb_ynode *root;
};

struct frame {
    struct bb_ynode *node;
    struct bb_ynode *pending_key; /* mappings: key waiting for its value */
};

struct builder {
    struct bb_ytree *tree;
    struct frame stack[BB_YAML_MAX_DEPTH];
    size_t depth;
    size_t nodes;
    int documents;
    struct bb_yerr *err;
};

static int fail(struct bb_yerr *err, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct bb_yerr *err, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    err->line = line;
    err->col = col;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* Line and column (1-based, columns in bytes) of byte offset off. */
static void position_of(const char *buf, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* libyaml accepts some inputs we refuse (NUL, broken UTF-8 in places it
 * does not look at); check the raw bytes first so errors carry a position. */
static int check_bytes(const char *buf, size_t len, struct bb_yerr *err)
{
    uint32_t line, col;
    if (len > BB_YAML_MAX_BYTES)
        return fail(err, 0, 0, "file is larger than %u bytes", BB_YAML_MAX_BYTES);
    const char *nul = memchr(buf, '\0', len);
    size_t valid = bb_utf8_valid_prefix(buf, nul != NULL ? (size_t)(nul - buf) : len);
    if (nul != NULL && valid == (size_t)(nul - buf)) {
        position_of(buf, valid, &line, &col);
        return fail(err, line, col, "NUL byte in configuration");
    }
    if (valid < len) {
        position_of(buf, valid, &line, &col);
        return fail(err, line, col, "invalid UTF-8");
    }
    return 0;
}

static struct bb_ynode *new_node(struct builder *b, enum bb_ykind kind, const yaml_mark_t *m)
{
    if (b->nodes >= BB_YAML_MAX_NODES) {
        fail(b->err, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
             "document has more than %u nodes", BB_YAML_MAX_NODES);
        return NULL;
    }
    struct bb_ynode *n = bb_arena_alloc(b->tree->arena, sizeof(*n));
    if (n == NULL) {
        fail(b->err, 0, 0, "out of memory");
        return NULL;
    }
    b->nodes++;
    n->kind = kind;
    n->line = (uint32_t)m->line + 1;
    n->col = (uint32_t)m->column + 1;
    return n;
}

static void append_child(struct bb_ynode *parent, struct bb_ynode *child)
{
    if (parent->last == NULL)
        parent->first = child;
    else
        parent->last->next = child;
    parent->last = child;
    parent->count++;
}

static int add_key(struct builder *b, struct frame *f, struct bb_ynode *key)
{
    if (key->kind != BB_Y_SCALAR)
        return fail(b->err, key->line, key->col, "mapping keys must be scalars");
    if (f->node->count >= BB_YAML_MAX_MAP_KEYS)
        return fail(b->err, key->line, key->col, "mapping has more than %u keys",
                    BB_YAML_MAX_MAP_KEYS);
    for (const struct bb_ynode *k = f->node->first; k != NULL; k = k->next)
        if (k->len == key->len && memcmp(k->str, key->str, key->len) == 0)
            return fail(b->err, key->line, key->col, "duplicate key '%s' (first at line %u)",
                        key->str, k->line);
    append_child(f->node, key);
    f->pending_key = key;
    return 0;
}

/* Hangs a finished or just-opened node under the current collection. */
static int attach(struct builder *b, struct bb_ynode *n)
{
    if (b->depth == 0) {
        b->tree->root = n;
        return 0;
    }
    struct frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == BB_Y_SEQ) {
        append_child(f->node, n);
        return 0;
    }
    if (f->pending_key == NULL)
        return add_key(b, f, n);
    f->pending_key->value = n;
    f->pending_key = NULL;
    return 0;
}

static int refuse_decorations(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
                              const yaml_char_t *tag, int implicit)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1, col = (uint32_t)ev->start_mark.column + 1;
    if (anchor != NULL)
        return fail(b->err, line, col, "YAML anchors and aliases are not supported");
    if (tag != NULL && !implicit)
        return fail(b->err, line, col, "YAML tags are not supported");
    return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
    const __typeof__(ev->data.scalar) *s = &ev->data.scalar;
    if (refuse_decorations(b, ev, s->anchor, s->tag, s->plain_implicit || s->quoted_implicit))
        return -1;
    if (s->length > BB_YAML_MAX_SCALAR)
        return fail(b->err, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                    "scalar longer than %u bytes", BB_YAML_MAX_SCALAR);
    struct bb_ynode *n = new_node(b, BB_Y_SCALAR, &ev->start_mark);
    if (n == NULL)
        return -1;
    n->str = bb_arena_strndup(b->tree->arena, (const char *)s->value, s->length);
    if (n->str == NULL)
        return fail(b->err, 0, 0, "out of memory");
    n->len = s->length;
    n->plain = s->style == YAML_PLAIN_SCALAR_STYLE;
    return attach(b, n);
}

static int on_open(struct builder *b, const yaml_event_t *ev, enum bb_ykind kind)
{
    const yaml_char_t *anchor, *tag;
    int implicit;
    if (kind == BB_Y_MAP) {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        implicit = ev->data.mapping_start.implicit;
    } else {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        implicit = ev->data.sequence_start.implicit;
    }
    if (refuse_decorations(b, ev, anchor, tag, implicit))
        return -1;
    if (b->depth == BB_YAML_MAX_DEPTH)
        return fail(b->err, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                    "nesting deeper than %u levels", BB_YAML_MAX_DEPTH);
    struct bb_ynode *n = new_node(b, kind, &ev->start_mark);
    if (n == NULL || attach(b, n) != 0)
        return -1;
    b->stack[b->depth].node = n;
    b->stack[b->depth].pending_key = NULL;
    b->depth++;
    return 0;
}

/* Handles one event. Returns 1 at the end of the stream, 0 to go on, -1 on
 * error. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1, col = (uint32_t)ev->start_mark.column + 1;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return fail(b->err, line, col, "only one YAML document is allowed");
        return 0;
    case YAML_ALIAS_EVENT:
        return fail(b->err, line, col, "YAML anchors and aliases are not supported");
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_open(b, ev, BB_Y_SEQ);
    case YAML_MAPPING_START_EVENT:
        return on_open(b, ev, BB_Y_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        b->depth--;
        return 0;
    default:
        return 0;
    }
}

static int parse_events(struct builder *b, const char *buf, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return fail(b->err, 0, 0, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    int rc = 0;
    while (rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = fail(b->err, (uint32_t)parser.problem_mark.line + 1,
                      (uint32_t)parser.problem_mark.column + 1, "YAML syntax error: %s%s%s",
                      parser.problem != NULL ? parser.problem : "unknown",
                      parser.context != NULL ? " " : "",
                      parser.context != NULL ? parser.context : "");
            break;
        }
        rc = on_event(b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc < 0 ? -1 : 0;
}

struct bb_ytree *bb_ytree_parse(const char *buf, size_t len, struct bb_yerr *err)
{
    memset(err, 0, sizeof(*err));
    if (check_bytes(buf, len, err) != 0)
        return NULL;
    struct bb_ytree *t = calloc(1, sizeof(*t));
    struct builder *b = calloc(1, sizeof(*b));
    if (t == NULL || b == NULL || (t->arena = bb_arena_new()) == NULL) {
        fail(err, 0, 0, "out of memory");
        goto fail;
    }
    b->tree = t;
    b->err = err;
    if (parse_events(b, buf, len) != 0)
        goto fail;
    if (t->root == NULL || bb_ynode_is_null(t->root)) {
        fail(err, 1, 1, "the configuration is empty");
        goto fail;
    }
    free(b);
    return t;
fail:
    free(b);
    bb_ytree_free(t);
    return NULL;
}

const struct bb_ynode *bb_ytree_root(const struct bb_ytree *t)
{
    return t->root;
}

void bb_ytree_free(struct bb_ytree *t)
{
    if (t == NULL)
        return;
    bb_arena_free(t->arena);
    free(t);
}

bool bb_ynode_is_null(const struct bb_ynode *n)
{
    if (n == NULL || n->kind != BB_Y_SCALAR || !n->plain)
        return false;
    static const char *const spellings[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
        if (strcmp(n->str, spellings[i]) == 0)
            return true;
    return false;
}

const struct bb_ynode *bb_ymap_get(const struct bb_ynode *m, const char *key)
{
    if (m == NULL || m->kind != BB_Y_MAP)
        return NULL;
    for (const struct bb_ynode *k = m->first; k != NULL; k = k->next)
        if (strcmp(k->str, key) == 0)
            return k->value;
    return NULL;
}

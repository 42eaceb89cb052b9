/*
 * Private to src/config: the YAML node tree the loader validates, and a
 * growing string buffer for the printers. Nothing outside this directory
 * includes this header.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* ---- A growing, always NUL-terminated string (print.c, corosync_conf.c, report.c). ---- */

struct cfg_buf {
    char *s;
    size_t len;
    size_t cap;
};

/* Appends formatted text to b; aborts on out of memory like xmalloc. */
void cfg_buf_printf(struct cfg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the text (never NULL), owned by the caller; b is left empty. */
char *cfg_buf_steal(struct cfg_buf *b);

/* ---- The document as a tree of nodes with their positions (ytree.c). ---- */

enum ynode_type { YN_SCALAR, YN_SEQUENCE, YN_MAPPING, YN_ALIAS, YN_MAX };

/*
 * One YAML node. line and col are 1-based. A mapping holds its keys and
 * values interleaved in items (key 0, value 0, key 1, ...), in file order,
 * duplicates included: the validator reports them.
 */
struct ynode {
    enum ynode_type type;
    int line;
    int col;
    bool plain; /* scalar written without quotes or block style */
    char *text; /* scalar: its value, NUL-terminated; alias: the anchor name */
    size_t len; /* length of text (it may contain NUL bytes from escapes) */
    size_t n;   /* number of items */
    struct ynode **items;
};

/*
 * Parses buf (len bytes) into a tree. Returns 0 and stores the root in
 * *ret_root (NULL for an empty stream), owned by the caller (ytree_free).
 * On a YAML syntax error, appends the parser's diagnostics (attributed to
 * name) to diags and returns -EINVAL with *ret_root untouched. Prints nothing.
 */
int ytree_parse(const char *buf, size_t len, const char *name, struct cfg_diags *diags,
                struct ynode **ret_root);
/* Frees a tree; accepts NULL. */
void ytree_free(struct ynode *n);
/* True if n is a plain scalar that YAML reads as null: empty, ~, null, Null or NULL. */
bool ytree_is_null(const struct ynode *n);
/*
 * True if the text of n (a scalar or an alias) holds a NUL byte, from an
 * escape: it is then not usable as a C string.
 */
bool ytree_has_nul(const struct ynode *n);

/* ---- Diagnostics (diag.c). ---- */

/*
 * Sorts d->v[first..] by line and column, those without a position first,
 * keeping the order of diagnostics at the same position.
 */
void cfg_diags_sort_from(struct cfg_diags *d, size_t first);

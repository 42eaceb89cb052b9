/*
 * Turns libfyaml's event stream into a small tree that keeps every node's
 * position. libfyaml's document API hides node positions and stops at the
 * first duplicate key; the validator needs both, so it works on this tree.
 */
#include <errno.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/internal.h"

/* Deeper nesting than any valid vigil.yaml needs; bounds recursion in ytree_free. */
#define YTREE_MAX_DEPTH 64

void ytree_free(struct ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        ytree_free(n->items[i]);
    free(n->items);
    free(n->text);
    free(n);
}

static void discard_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
}

/* Copies the errors libfyaml collected into diags; returns how many there were. */
static size_t collect_fy_errors(struct fy_diag *diag, const char *name, struct cfg_diags *diags)
{
    size_t n = 0;
    void *it = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(diag, &it)) != NULL) {
        if (e->type < FYET_ERROR)
            continue;
        cfg_diags_add(diags, CFG_SEV_ERROR, name, e->line, e->column, "%s",
                      e->msg ? e->msg : "invalid YAML");
        n++;
    }
    return n;
}

static struct ynode *node_new(enum ynode_type type, const struct fy_mark *m)
{
    struct ynode *n = xcalloc(1, sizeof(*n));
    n->type = type;
    n->line = m ? m->line + 1 : 0;
    n->col = m ? m->column + 1 : 0;
    return n;
}

static void node_append(struct ynode *parent, struct ynode *child, size_t *cap)
{
    xgrow((void **)&parent->items, cap, parent->n + 1, sizeof(*parent->items));
    parent->items[parent->n++] = child;
}

static void set_text(struct ynode *n, struct fy_token *t)
{
    size_t len = 0;
    const char *s = t ? fy_token_get_text(t, &len) : NULL;
    if (!s)
        len = 0;
    n->text = xmalloc(len + 1);
    if (len)
        memcpy(n->text, s, len);
    n->text[len] = '\0';
    n->len = len;
}

struct builder {
    struct ynode *root;
    struct ynode *stack[YTREE_MAX_DEPTH];
    size_t caps[YTREE_MAX_DEPTH];
    size_t depth;
    int documents;
    const char *name;
    struct cfg_diags *diags;
};

/* Handles one event; returns 0, or -EINVAL after adding a diagnostic. */
static int build_event(struct builder *b, struct fy_event *ev)
{
    const struct fy_mark *m = fy_event_start_mark(ev);
    struct ynode *n = NULL;

    switch (ev->type) {
    case FYET_DOCUMENT_START:
        if (++b->documents > 1) {
            cfg_diags_add(b->diags, CFG_SEV_ERROR, b->name, m ? m->line + 1 : 0,
                          m ? m->column + 1 : 0,
                          "a second YAML document starts here; vigil.yaml holds exactly one");
            return -EINVAL;
        }
        return 0;
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END:
        if (b->depth > 0)
            b->depth--;
        return 0;
    case FYET_SCALAR:
        n = node_new(YN_SCALAR, m);
        set_text(n, ev->scalar.value);
        n->plain = ev->scalar.value && fy_token_scalar_style(ev->scalar.value) == FYSS_PLAIN;
        break;
    case FYET_ALIAS:
        n = node_new(YN_ALIAS, m);
        set_text(n, ev->alias.anchor);
        break;
    case FYET_SEQUENCE_START:
        n = node_new(YN_SEQUENCE, m);
        break;
    case FYET_MAPPING_START:
        n = node_new(YN_MAPPING, m);
        break;
    default:
        return 0;
    }

    if (b->depth == 0) {
        if (b->root) { /* cannot happen with one document; be safe */
            ytree_free(n);
            return 0;
        }
        b->root = n;
    } else {
        node_append(b->stack[b->depth - 1], n, &b->caps[b->depth - 1]);
    }
    if (n->type == YN_SEQUENCE || n->type == YN_MAPPING) {
        if (b->depth == YTREE_MAX_DEPTH) {
            cfg_diags_add(b->diags, CFG_SEV_ERROR, b->name, n->line, n->col,
                          "nesting deeper than %d levels", YTREE_MAX_DEPTH);
            return -EINVAL;
        }
        b->stack[b->depth] = n;
        b->caps[b->depth] = 0;
        b->depth++;
    }
    return 0;
}

int ytree_parse(const char *buf, size_t len, const char *name, struct cfg_diags *diags,
                struct ynode **ret_root)
{
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard_output;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag)
        abort(); /* only fails on out of memory */
    fy_diag_set_collect_errors(diag, true);

    struct fy_parse_cfg pcfg = {
        .flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE,
        .diag = diag,
    };
    struct fy_parser *p = fy_parser_create(&pcfg);
    if (!p)
        abort();

    struct builder b = {.name = name, .diags = diags};
    size_t n_before = diags->n;
    int r = 0;
    if (fy_parser_set_string(p, buf, len) < 0) {
        r = -EINVAL;
    } else {
        struct fy_event *ev;
        while ((ev = fy_parser_parse(p)) != NULL) {
            r = build_event(&b, ev);
            fy_parser_event_free(p, ev);
            if (r < 0)
                break;
        }
        if (r == 0 && fy_parser_get_stream_error(p))
            r = -EINVAL;
    }
    if (collect_fy_errors(diag, name, diags) > 0)
        r = -EINVAL;
    if (r < 0 && diags->n == n_before)
        cfg_diags_add(diags, CFG_SEV_ERROR, name, 0, 0, "invalid YAML");
    fy_parser_destroy(p);
    fy_diag_destroy(diag);

    if (r < 0) {
        ytree_free(b.root);
        return r;
    }
    *ret_root = b.root;
    return 0;
}

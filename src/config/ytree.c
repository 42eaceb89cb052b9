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

/* Frees n and all its descendants; accepts NULL. */
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

/*
 * libfyaml 0.7.12 leaks the text of a single-quoted scalar with several ''
 * escapes (found by fuzzing), so such a scalar is unescaped here from the
 * source instead. Line folding is not applied: no valid vigil.yaml value
 * contains a quote, so this text only ever appears in an error message.
 * Returns false to let libfyaml produce the text.
 */
static bool set_single_quoted_text(struct ynode *n, struct fy_token *t, const char *buf, size_t len)
{
    if (!t || fy_token_scalar_style(t) != FYSS_SINGLE_QUOTED)
        return false;
    const struct fy_mark *a = fy_token_start_mark(t), *b = fy_token_end_mark(t);
    if (!a || !b || a->input_pos > b->input_pos || b->input_pos > len)
        return false;
    const char *raw = buf + a->input_pos;
    size_t raw_len = b->input_pos - a->input_pos;
    if (!memmem(raw, raw_len, "\'\'", 2))
        return false;
    n->text = xmalloc(raw_len + 1);
    size_t o = 0;
    for (size_t i = 0; i < raw_len; i++) {
        n->text[o++] = raw[i];
        if (raw[i] == '\'' && i + 1 < raw_len && raw[i + 1] == '\'')
            i++;
    }
    n->text[o] = '\0';
    n->len = o;
    return true;
}

struct builder {
    const char *buf;
    size_t len;
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
        if (!set_single_quoted_text(n, ev->scalar.value, b->buf, b->len))
            set_text(n, ev->scalar.value);
        /* An empty value has no token at all: it is a plain null. */
        n->plain = !ev->scalar.value || fy_token_scalar_style(ev->scalar.value) == FYSS_PLAIN;
        /* libfyaml marks a quoted scalar at its first character: point at the quote. */
        if (ev->scalar.value && n->col > 1 &&
            (fy_token_scalar_style(ev->scalar.value) == FYSS_SINGLE_QUOTED ||
             fy_token_scalar_style(ev->scalar.value) == FYSS_DOUBLE_QUOTED))
            n->col--;
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
        struct ynode *parent = b->stack[b->depth - 1];
        if (n->line == 0) {
            /* No position (an empty value): use its key's, or the collection's. */
            const struct ynode *near = parent->n ? parent->items[parent->n - 1] : parent;
            n->line = near->line;
            n->col = near->col;
        }
        node_append(parent, n, &b->caps[b->depth - 1]);
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

/*
 * Decodes one UTF-8 sequence at p (n bytes available). Returns its length and
 * stores the code point, or returns 0 for an invalid sequence.
 */
static size_t utf8_decode(const unsigned char *p, size_t n, unsigned *ret)
{
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    unsigned cp;
    if (p[0] < 0x80) {
        *ret = p[0];
        return 1;
    } else if ((p[0] & 0xe0) == 0xc0) {
        len = 2, cp = p[0] & 0x1f;
    } else if ((p[0] & 0xf0) == 0xe0) {
        len = 3, cp = p[0] & 0x0f;
    } else if ((p[0] & 0xf8) == 0xf0) {
        len = 4, cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *ret = cp;
    return len;
}

/* YAML 1.2's c-printable set, which the parser does not fully enforce. */
static bool yaml_printable(unsigned cp)
{
    return cp == 0x09 || cp == 0x0a || cp == 0x0d || (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 ||
           (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
           (cp >= 0x10000 && cp <= 0x10ffff);
}

/*
 * Checks that buf is UTF-8 made of characters YAML allows. libfyaml 0.7.12
 * can loop forever on some invalid bytes (found by fuzzing: "%\xae"), so this
 * runs before the parser sees the text. Returns 0, or -EINVAL after adding a
 * diagnostic at the first bad character.
 */
static int check_text(const char *buf, size_t len, const char *name, struct cfg_diags *diags)
{
    const unsigned char *p = (const unsigned char *)buf;
    int line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        unsigned cp = 0;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            cfg_diags_add(diags, CFG_SEV_ERROR, name, line, col,
                          "invalid UTF-8 (byte 0x%02x); vigil.yaml must be UTF-8 text", p[i]);
            return -EINVAL;
        }
        if (!yaml_printable(cp)) {
            cfg_diags_add(diags, CFG_SEV_ERROR, name, line, col,
                          "character U+%04X is not allowed in YAML text", cp);
            return -EINVAL;
        }
        i += n;
        if (cp == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return 0;
}

/*
 * Parses buf into a tree owned by the caller (ytree_free); NULL root for an
 * empty stream. On a syntax error, adds the diagnostics to diags, returns
 * -EINVAL and leaves *ret_root untouched. libfyaml's output is collected,
 * never printed.
 */
int ytree_parse(const char *buf, size_t len, const char *name, struct cfg_diags *diags,
                struct ynode **ret_root)
{
    if (check_text(buf, len, name, diags) < 0)
        return -EINVAL;

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

    struct builder b = {.buf = buf, .len = len, .name = name, .diags = diags};
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

/* Plain empty, ~, null, Null or NULL: what YAML reads as null. */
bool ytree_is_null(const struct ynode *n)
{
    if (n->type != YN_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
           strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

/* A NUL byte from an escape makes text shorter as a C string than its length. */
bool ytree_has_nul(const struct ynode *n)
{
    return strlen(n->text) != n->len;
}

/*
 * The loader's diagnostics: recording an error or a warning at the node it
 * concerns, and the pieces its messages are made of (quoted values, what a
 * node is, "did you mean", lists of choices). Pure: no I/O.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/load.h"

/* Longest piece of a value quoted back in a message. */
#define QUOTE_MAX 48

static void verr(struct loader *ld, enum cfg_severity sev, const struct ynode *at, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));
static void verr(struct loader *ld, enum cfg_severity sev, const struct ynode *at, const char *fmt,
                 va_list ap)
{
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    cfg_diags_add(ld->d, sev, ld->file, at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

/* An error at node at (NULL: none) of the file; the message is copied. */
void report_error(struct loader *ld, const struct ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(ld, CFG_SEV_ERROR, at, fmt, ap);
    va_end(ap);
}

/* A warning at node at (NULL: none) of the file; the message is copied. */
void report_warning(struct loader *ld, const struct ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(ld, CFG_SEV_WARNING, at, fmt, ap);
    va_end(ap);
}

/*
 * Quotes text for a message: 'text', with control bytes escaped and long
 * values cut short. Returns a string owned by the caller.
 */
static char *quote_with(const char *s, size_t len, char delim)
{
    struct cfg_buf b = {0};
    size_t n = len;
    bool cut = false;
    if (n > QUOTE_MAX) {
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
        cut = true;
    }
    cfg_buf_printf(&b, "%c", delim);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            cfg_buf_printf(&b, "\\x%02x", ch);
        else
            cfg_buf_printf(&b, "%c", ch);
    }
    cfg_buf_printf(&b, "%s%c", cut ? "..." : "", delim);
    return cfg_buf_steal(&b);
}

/* 'text', for a message; owned by the caller. */
char *report_quote(const char *s, size_t len)
{
    return quote_with(s, len, '\'');
}

/* The quoted text of scalar n; owned by the caller. */
char *report_quote_node(const struct ynode *n)
{
    return report_quote(n->text, n->len);
}

/* Describes what a node is, for "must be X, not Y". Returns a string owned by the caller. */
char *report_describe(const struct ynode *n)
{
    switch (n->type) {
    case YN_MAPPING:
        return xstrdup("a mapping");
    case YN_SEQUENCE:
        return xstrdup("a list");
    case YN_ALIAS: {
        _cleanup_free_ char *q = report_quote(n->text, n->len);
        return xasprintf("the alias *%.*s (anchors and aliases are not supported)",
                         (int)strlen(q) - 2, q + 1);
    }
    default:
        break;
    }
    if (ytree_is_null(n))
        return xstrdup("an empty value");
    if (n->plain)
        return report_quote_node(n);
    _cleanup_free_ char *q = quote_with(n->text, n->len, '"');
    return xasprintf("the quoted string %s", q);
}

/* "LABEL must be EXPECTED, not WHAT N IS", at n. */
void report_type(struct loader *ld, const struct ynode *n, const char *label, const char *expected)
{
    _cleanup_free_ char *got = report_describe(n);
    report_error(ld, n, "%s must be %s, not %s", label, expected, got);
}

/* Picks the candidate closest to word (edit distance at most 2), or NULL. */
const char *report_suggest(const char *word, const char *const *cand, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < n; i++) {
        if (!cand[i])
            continue;
        size_t d = str_edit_distance(word, cand[i], 2);
        if (d < best_d && d < strlen(cand[i])) {
            best = cand[i];
            best_d = d;
        }
    }
    return best;
}

/* "a, b or c", owned by the caller. */
char *report_join(const char *const *v, size_t n, const char *last_sep)
{
    struct cfg_buf b = {0};
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            continue;
        size_t rest = 0;
        for (size_t j = i + 1; j < n; j++)
            rest += v[j] != NULL;
        cfg_buf_printf(&b, "%s%s", shown == 0 ? "" : rest == 0 ? last_sep : ", ", v[i]);
        shown++;
    }
    return cfg_buf_steal(&b);
}

/* An address family, for messages (a static string). */
const char *report_family(int family)
{
    return family == AF_INET ? "IPv4" : "IPv6";
}

/*
 * "WHO: WHAT 'x'CONTEXT; did you mean 'y'?", else "... (the PLURAL are a, b
 * and c)", else "... (NONE)" when cand names nothing; at n.
 */
void report_unknown(struct loader *ld, const struct ynode *n, const char *who,
                    const struct unknown_name *u, const char *const *cand, size_t n_cand)
{
    _cleanup_free_ char *q = report_quote_node(n);
    _cleanup_free_ char *all = report_join(cand, n_cand, " and ");
    const char *sug = ytree_has_nul(n) ? NULL : report_suggest(n->text, cand, n_cand);
    const char *sep = who ? ": " : "";
    const char *ctx = u->context ? u->context : "";
    if (sug)
        report_error(ld, n, "%s%s%s %s%s; did you mean '%s'?", who ? who : "", sep, u->what, q, ctx,
                     sug);
    else if (*all || !u->none)
        report_error(ld, n, "%s%s%s %s%s (the %s are %s)", who ? who : "", sep, u->what, q, ctx,
                     u->plural, all);
    else
        report_error(ld, n, "%s%s%s %s%s (%s)", who ? who : "", sep, u->what, q, ctx, u->none);
}

/* Diagnostics: the list of problems a load found, and how they are printed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/internal.h"

/* Prepares an empty list. */
void cfg_diags_init(struct cfg_diags *d)
{
    memset(d, 0, sizeof(*d));
}

/* Frees every diagnostic and the array; d is left empty and reusable. */
void cfg_diags_clear(struct cfg_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    memset(d, 0, sizeof(*d));
}

/* Appends one diagnostic; file and the formatted message are copied into d. */
void cfg_diags_add(struct cfg_diags *d, enum cfg_severity sev, const char *file, int line, int col,
                   const char *fmt, ...)
{
    xgrow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));
    struct cfg_diag *g = &d->v[d->n++];
    va_list ap;
    va_start(ap, fmt);
    g->msg = xvasprintf(fmt, ap);
    va_end(ap);
    g->file = file ? xstrdup(file) : NULL;
    g->line = line > 0 ? line : 0;
    g->col = line > 0 && col > 0 ? col : 0;
    g->severity = sev;
    if (sev == CFG_SEV_ERROR)
        d->n_errors++;
}

static const char *severity_name(enum cfg_severity sev)
{
    return sev == CFG_SEV_WARNING ? "warning" : "error";
}

/* Prints one line per diagnostic: "FILE:LINE:COL: error: MESSAGE". */
char *cfg_diag_format(const struct cfg_diag *g)
{
    char where[64] = "";
    if (g->line > 0 && g->col > 0)
        snprintf(where, sizeof(where), "%s%d:%d", g->file ? ":" : "", g->line, g->col);
    else if (g->line > 0)
        snprintf(where, sizeof(where), "%s%d", g->file ? ":" : "", g->line);
    bool any = g->file || g->line > 0;
    return xasprintf("%s%s%s%s: %s", g->file ? g->file : "", where, any ? ": " : "",
                     severity_name(g->severity), g->msg);
}

/* The diagnostics of severity sev (CFG_SEV_MAX: all), one per line; owned by the caller. */
char *cfg_diags_text(const struct cfg_diags *d, enum cfg_severity sev)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < d->n; i++) {
        if (sev != CFG_SEV_MAX && d->v[i].severity != sev)
            continue;
        _cleanup_free_ char *one = cfg_diag_format(&d->v[i]);
        char *joined = xasprintf("%s%s%s", out, *out ? "\n" : "", one);
        free(out);
        out = joined;
    }
    return out;
}

/* Writes one line per diagnostic to out, as cfg_diag_format formats it. */
void cfg_diags_print(const struct cfg_diags *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++) {
        _cleanup_free_ char *one = cfg_diag_format(&d->v[i]);
        fprintf(out, "%s\n", one);
    }
}

static int diag_cmp(const void *a, const void *b)
{
    const struct cfg_diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return 0;
}

/*
 * Sorts the diagnostics from index first on by position in the file (those
 * without one first), keeping the order in which equal positions were added.
 */
void cfg_diags_sort_from(struct cfg_diags *d, size_t first)
{
    if (first >= d->n)
        return;
    size_t n = d->n - first;
    struct cfg_diag *v = d->v + first;
    /* Stable merge sort: qsort is not stable, and order of equal positions matters. */
    struct cfg_diag *tmp = xmalloc(n * sizeof(*tmp));
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = diag_cmp(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof(*tmp));
    }
    free(tmp);
}

/* A growing string for the printers (cfg_print, cfg_corosync_conf). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "config/internal.h"

/* Appends formatted text to b, growing it; aborts only on out of memory. */
void cfg_buf_printf(struct cfg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort(); /* a bad format string is a programming error */
    xgrow((void **)&b->s, &b->cap, b->len + (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Hands b's text (never NULL) to the caller, who frees it; b is left empty. */
char *cfg_buf_steal(struct cfg_buf *b)
{
    char *s = b->s ? b->s : xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

/* Plain-text tables sized to their content. */
#include "cli/table.h"
#include "cli/cli.h"
#include "base/util.h"

#include <string.h>

struct table {
    size_t ncols;
    char **cells; /* row-major */
    size_t n;
    size_t cap;
    size_t width; /* wrap the last column to fit; 0: never */
};

struct table *table_new(size_t ncols)
{
    struct table *t = xcalloc(1, sizeof(*t));
    t->ncols = ncols;
    return t;
}

void table_free(struct table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

void table_add(struct table *t, const char *cell)
{
    xgrow((void **)&t->cells, &t->cap, t->n + 1, sizeof(*t->cells));
    t->cells[t->n++] = xstrdup(cell ? cell : "");
}

void table_set_width(struct table *t, size_t width)
{
    t->width = width;
}

static const char *cell_at(const struct table *t, size_t row, size_t col)
{
    size_t i = row * t->ncols + col;
    return i < t->n ? t->cells[i] : "";
}

/*
 * Writes s, a cell of the last column starting at column indent, in lines of
 * at most room characters (breaking at spaces), continuation lines indented.
 */
static void print_wrapped(const char *s, size_t indent, size_t room, FILE *out)
{
    for (;;) {
        size_t len = strlen(s);
        if (len <= room) {
            cli_fputs_safe(s, out);
            return;
        }
        /* The last space that keeps the line within room, else the first one at all. */
        size_t cut = room;
        while (cut > 0 && s[cut] != ' ')
            cut--;
        if (cut == 0) {
            const char *sp = strchr(s, ' ');
            if (!sp) {
                cli_fputs_safe(s, out);
                return;
            }
            cut = (size_t)(sp - s);
        }
        size_t end = cut;
        while (end > 0 && s[end - 1] == ' ')
            end--;
        _cleanup_free_ char *part = xstrndup(s, end);
        cli_fputs_safe(part, out);
        fputc('\n', out);
        for (size_t i = 0; i < indent; i++)
            fputc(' ', out);
        s += cut;
        while (*s == ' ')
            s++;
    }
}

void table_print(const struct table *t, FILE *out)
{
    size_t nrows = (t->n + t->ncols - 1) / t->ncols;
    _cleanup_free_ size_t *width = xcalloc(t->ncols, sizeof(*width));
    for (size_t i = 0; i < t->n; i++) {
        size_t len = strlen(t->cells[i]);
        if (len > width[i % t->ncols])
            width[i % t->ncols] = len;
    }

    /* Where the last column starts, and how much room it has. */
    size_t start = 0;
    for (size_t col = 0; col + 1 < t->ncols; col++)
        start += width[col] + 2;
    size_t room = t->width > start + TABLE_MIN_WRAP ? t->width - start : TABLE_MIN_WRAP;

    for (size_t row = 0; row < nrows; row++) {
        /* The last non-empty cell ends the line: no trailing blanks. */
        size_t last = 0;
        for (size_t col = 0; col < t->ncols; col++)
            if (*cell_at(t, row, col))
                last = col;
        for (size_t col = 0; col <= last; col++) {
            if (col > 0)
                fputs("  ", out);
            const char *s = cell_at(t, row, col);
            if (col == last && t->width && col + 1 == t->ncols)
                print_wrapped(s, start, room, out);
            else if (col == last)
                cli_fputs_safe(s, out);
            else
                cli_fputs_padded(s, width[col], out);
        }
        fputc('\n', out);
    }
}

/*
 * Plain-text tables for the CLI: columns as wide as their widest cell,
 * separated by two spaces, without trailing blanks. Cells are printed with
 * control characters neutralised (cli_fputs_safe).
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

struct table;

/* Returns a new empty table of ncols columns (ncols > 0), owned by the caller (table_free). */
struct table *table_new(size_t ncols);

/* Frees t; accepts NULL. */
void table_free(struct table *t);

/*
 * Appends a cell (copied; NULL is an empty cell). Cells fill the current row
 * left to right; the (ncols + 1)th cell starts the next row. The first row is
 * usually the header.
 */
void table_add(struct table *t, const char *cell);

/*
 * Keeps lines within width columns (0, the default: no limit) by wrapping the
 * cells of the last column at spaces; their continuation lines start under
 * the column. The column keeps at least TABLE_MIN_WRAP characters, so lines
 * may pass width when the other columns are very wide, as may a single word
 * longer than the room left.
 */
void table_set_width(struct table *t, size_t width);

#define TABLE_MIN_WRAP 30

/* Writes every row of t to out; a last row left incomplete is padded with empty cells. */
void table_print(const struct table *t, FILE *out);

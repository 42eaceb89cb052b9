/* Parts of `vigil status` that have a file of their own. */
#pragma once

#include <jansson.h>

/*
 * Prints the "groups" array of the status object st, when it has any groups,
 * as a table to stdout: one row per group (state, node, failures, notes),
 * then a row per resource of it, indented. Prints nothing without groups.
 * Missing or mistyped members are shown as "?", never trusted.
 */
void status_print_groups(json_t *st);

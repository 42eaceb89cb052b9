/*
 * The pure part of the replicated configuration: the decision every member
 * takes alike from the versions it sees (table-tested in
 * tests/unit/test_cfgsync.c), and how a version is described. No I/O, no
 * state; the protocol that acts on the decision is cfgsync.c.
 */
#include "daemon/cfgsync.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *cfgver_describe(const struct cfgver *v, char buf[static 64])
{
    snprintf(buf, 64, "version %" PRIu64 " (sha256 %.12s%s)", v->version, v->sha256,
             v->edited ? ", edited by hand" : "");
    return buf;
}

void cfgsync_decide(const struct cfgver *v, const bool *present, size_t n,
                    struct cfgver *ret_adopted, size_t *ret_holder, enum cfgsync_fate *ret_fates)
{
    size_t first = SIZE_MAX;
    bool same = true;
    for (size_t i = 0; i < n; i++) {
        if (!present[i])
            continue;
        if (first == SIZE_MAX)
            first = i;
        else if (strcmp(v[i].sha256, v[first].sha256) != 0)
            same = false;
    }
    size_t holder = first;
    if (same) {
        /* One content: the highest version held, from its lowest holder. */
        bool clean_at_max = false;
        for (size_t i = 0; i < n; i++)
            if (present[i] && v[i].version > v[holder].version)
                holder = i;
        for (size_t i = 0; i < n; i++)
            if (present[i] && v[i].version == v[holder].version && !v[i].edited)
                clean_at_max = true;
        *ret_adopted = v[holder];
        ret_adopted->edited = false;
        if (!clean_at_max)
            ret_adopted->version++;
    } else {
        bool any_clean = false;
        for (size_t i = 0; i < n; i++)
            any_clean |= present[i] && !v[i].edited;
        holder = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            if (!present[i] || (any_clean && v[i].edited))
                continue;
            if (holder == SIZE_MAX || v[i].version > v[holder].version)
                holder = i;
        }
        *ret_adopted = v[holder];
        if (ret_adopted->edited) { /* only edited copies: the lowest node's, as a new version */
            ret_adopted->edited = false;
            ret_adopted->version++;
        }
    }
    *ret_holder = holder;
    for (size_t i = 0; i < n; i++) {
        if (!present[i] || strcmp(v[i].sha256, ret_adopted->sha256) == 0)
            ret_fates[i] = CFGSYNC_SAME;
        else if (!v[i].edited && v[i].version < ret_adopted->version)
            ret_fates[i] = CFGSYNC_BEHIND;
        else
            ret_fates[i] = CFGSYNC_REFUSED;
    }
}

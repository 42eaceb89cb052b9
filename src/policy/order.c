/* The order groups are planned in: dependencies first, then priority, then file order. */
#include "policy/policy_priv.h"
#include "base/util.h"

#include <string.h>

/* The k-th group that cg requires or runs together with (requires first). */
static size_t needs_of(const struct cfg_group *cg, size_t k)
{
    return k < cg->n_requires ? cg->requires[k] : cg->together_with[k - cg->n_requires];
}

static size_t n_needs(const struct cfg_group *cg)
{
    return cg->n_requires + cg->n_together_with;
}

static void graph_build(struct plan *p)
{
    const struct cfg *cfg = p->in->cfg;
    size_t ng = p->ng;
    p->graph.off = xcalloc(ng + 1, sizeof(size_t));
    size_t total = 0;
    for (size_t g = 0; g < ng; g++)
        for (size_t k = 0; k < n_needs(&cfg->groups[g]); k++) {
            size_t r = needs_of(&cfg->groups[g], k);
            if (r < ng && r != g) {
                p->graph.off[r + 1]++;
                total++;
            }
        }
    for (size_t g = 0; g < ng; g++)
        p->graph.off[g + 1] += p->graph.off[g];
    p->graph.deps = xcalloc(total ? total : 1, sizeof(size_t));
    size_t *fill = xcalloc(ng ? ng : 1, sizeof(size_t));
    for (size_t d = 0; d < ng; d++)
        for (size_t k = 0; k < n_needs(&cfg->groups[d]); k++) {
            size_t r = needs_of(&cfg->groups[d], k);
            if (r >= ng || r == d)
                continue;
            /* A group named twice (requires and together_with) is one edge. */
            size_t *first = p->graph.deps + p->graph.off[r];
            bool dup = false;
            for (size_t i = 0; i < fill[r]; i++)
                dup |= first[i] == d;
            if (!dup)
                first[fill[r]++] = d;
        }
    /* Compact away duplicate slots. */
    size_t w = 0;
    for (size_t g = 0; g < ng; g++) {
        size_t start = p->graph.off[g];
        p->graph.off[g] = w;
        memmove(p->graph.deps + w, p->graph.deps + start, fill[g] * sizeof(size_t));
        w += fill[g];
    }
    p->graph.off[ng] = w;
    free(fill);
}

/*
 * A group's effective priority is the highest of its own and those of the
 * groups that depend on it (transitively): a group that a high-priority group
 * needs is placed as early, and is never stopped to make room for a group of
 * lower priority than what depends on it. A fixed point, bounded by the number
 * of groups (enough for any acyclic graph; a cycle only stops early).
 */
static void prio_build(struct plan *p)
{
    const struct cfg *cfg = p->in->cfg;
    p->prio = xcalloc(p->ng ? p->ng : 1, sizeof(int32_t));
    for (size_t g = 0; g < p->ng; g++)
        p->prio[g] = cfg->groups[g].priority;
    for (size_t round = 0; round < p->ng; round++) {
        bool changed = false;
        for (size_t r = 0; r < p->ng; r++)
            for (size_t i = p->graph.off[r]; i < p->graph.off[r + 1]; i++) {
                size_t d = p->graph.deps[i];
                if (p->prio[d] > p->prio[r]) {
                    p->prio[r] = p->prio[d];
                    changed = true;
                }
            }
        if (!changed)
            break;
    }
}

void order_build(struct plan *p)
{
    size_t ng = p->ng;
    graph_build(p);
    prio_build(p);
    p->order = xcalloc(ng ? ng : 1, sizeof(size_t));
    size_t *waiting = xcalloc(ng ? ng : 1, sizeof(size_t)); /* unplanned groups it needs */
    bool *done = xcalloc(ng ? ng : 1, sizeof(bool));
    for (size_t r = 0; r < ng; r++)
        for (size_t i = p->graph.off[r]; i < p->graph.off[r + 1]; i++)
            waiting[p->graph.deps[i]]++;
    size_t k = 0;
    while (k < ng) {
        int best = -1;
        for (size_t g = 0; g < ng; g++)
            if (!done[g] && !waiting[g] && (best < 0 || p->prio[g] > p->prio[best]))
                best = (int)g;
        if (best < 0) /* a cycle: the loader refuses these; plan the rest in file order */
            for (size_t g = 0; g < ng && best < 0; g++)
                if (!done[g])
                    best = (int)g;
        size_t b = (size_t)best;
        done[b] = true;
        p->order[k++] = b;
        for (size_t i = p->graph.off[b]; i < p->graph.off[b + 1]; i++)
            if (waiting[p->graph.deps[i]])
                waiting[p->graph.deps[i]]--;
    }
    free(waiting);
    free(done);
}

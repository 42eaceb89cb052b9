/* Node choice and capacity accounting: which node a group goes to, and whether it fits there. */
#include "policy/policy_priv.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

static const uint64_t *load_of(const struct plan *p, size_t g)
{
    return p->in->cfg->groups[g].load;
}

static bool has_load(const struct plan *p, size_t g)
{
    for (size_t c = 0; c < p->in->cfg->n_capacity_names; c++)
        if (load_of(p, g)[c])
            return true;
    return false;
}

void place_init(struct plan *p)
{
    const struct cfg *cfg = p->in->cfg;
    p->use = xcalloc(p->nn ? p->nn : 1, sizeof(*p->use));
    size_t cells = p->ng * p->nn;
    p->occupies = xcalloc(cells ? cells : 1, sizeof(bool));
    for (size_t g = 0; g < p->ng; g++)
        for (size_t n = 0; n < p->nn; n++) {
            if (!policy_active_on(p->in, g, n))
                continue;
            p->use[n].groups++;
            p->occupies[g * p->nn + n] = true;
            for (size_t c = 0; c < cfg->n_capacity_names; c++) {
                p->use[n].planned[c] += load_of(p, g)[c];
                p->use[n].held[c] += load_of(p, g)[c];
            }
        }
}

void place_reserve(struct plan *p, size_t g, size_t n)
{
    if (p->occupies[g * p->nn + n])
        return;
    p->occupies[g * p->nn + n] = true;
    for (size_t c = 0; c < p->in->cfg->n_capacity_names; c++)
        p->use[n].held[c] += load_of(p, g)[c];
}

void place_move(struct plan *p, size_t g, int from, int to)
{
    size_t nc = p->in->cfg->n_capacity_names;
    if (from >= 0) {
        struct usage *u = &p->use[from];
        u->groups -= u->groups > 0;
        for (size_t c = 0; c < nc; c++)
            u->planned[c] -= u->planned[c] < load_of(p, g)[c] ? u->planned[c] : load_of(p, g)[c];
    }
    if (to >= 0) {
        struct usage *u = &p->use[to];
        u->groups++;
        for (size_t c = 0; c < nc; c++)
            u->planned[c] += load_of(p, g)[c];
    }
}

/* The first capacity name in which group g does not fit on node n, or -1. */
static int short_of(const struct plan *p, size_t g, size_t n)
{
    const struct cfg_node *cn = &p->in->cfg->nodes[n];
    if (!cn->has_capacity || p->occupies[g * p->nn + n])
        return -1;
    for (size_t c = 0; c < p->in->cfg->n_capacity_names; c++) {
        uint64_t l = load_of(p, g)[c];
        if (l && p->use[n].held[c] + l > cn->capacity[c])
            return (int)c;
    }
    return -1;
}

bool place_fits(const struct plan *p, size_t g, size_t n)
{
    return short_of(p, g, n) < 0;
}

/* Eligible, allowed by the pin and not excluded: the hard rules, room aside. */
static bool allowed(const struct plan *p, size_t g, size_t n, const struct want *w)
{
    return (int)n != w->exclude && (w->pin < 0 || (int)n == w->pin) &&
           !policy_ineligible(p->in, g, n);
}

static bool can_take(const struct plan *p, size_t g, size_t n, const struct want *w)
{
    return allowed(p, g, n, w) && place_fits(p, g, n);
}

/* A fraction num/den; den 0 is "more than any" (a used name a node has none of). */
struct frac {
    uint64_t num, den;
};

static int frac_cmp(struct frac a, struct frac b)
{
    __extension__ typedef unsigned __int128 u128;
    u128 l = (u128)a.num * b.den, r = (u128)b.num * a.den;
    return l < r ? -1 : l > r;
}

/*
 * How full node n would be with group g on it: the largest share used over
 * the capacity names (0 for a node without capacity). current: g is counted
 * there already.
 */
static struct frac fullness(const struct plan *p, size_t g, size_t n, bool current)
{
    const struct cfg_node *cn = &p->in->cfg->nodes[n];
    struct frac worst = {0, 1};
    if (!cn->has_capacity)
        return worst;
    for (size_t c = 0; c < p->in->cfg->n_capacity_names; c++) {
        uint64_t l = load_of(p, g)[c], used = p->use[n].planned[c];
        uint64_t after = (current ? used - (used < l ? used : l) : used) + l;
        struct frac f = cn->capacity[c] ? (struct frac){after, cn->capacity[c]}
                                        : (struct frac){after ? 1 : 0, after ? 0 : 1};
        if (frac_cmp(f, worst) > 0)
            worst = f;
    }
    return worst;
}

static size_t groups_after(const struct plan *p, size_t n, bool current)
{
    size_t k = p->use[n].groups;
    return (current ? k - (k > 0) : k) + 1;
}

/*
 * balanced: the node with the most room left after placing it (by capacity
 * share when it has a load), then the fewest groups; the node it runs on
 * wins a tie (no move for nothing), then domain order.
 */
static int pick_balanced(const struct plan *p, size_t g, const struct want *w,
                         const unsigned char *avoid, unsigned level)
{
    const size_t *d;
    size_t nd;
    policy_domain(p->in, g, &d, &nd);
    bool by_room = has_load(p, g);
    int best = -1;
    struct frac best_f = {0, 1};
    size_t best_k = 0;
    for (size_t i = 0; i < nd; i++) {
        size_t n = d[i];
        if (!can_take(p, g, n, w) || avoid[n] > level)
            continue;
        bool cur = (int)n == w->current;
        struct frac f = fullness(p, g, n, cur);
        size_t k = groups_after(p, n, cur);
        int c = by_room ? frac_cmp(f, best_f) : 0;
        bool better = best < 0 || c < 0 || (c == 0 && (k < best_k || (k == best_k && cur)));
        if (better) {
            best = (int)n;
            best_f = f;
            best_k = k;
        }
    }
    return best;
}

/* round-robin: fewest groups; the current node wins a tie; then rotation after last_owner. */
static int pick_round_robin(const struct plan *p, size_t g, const struct want *w,
                            const unsigned char *avoid, unsigned level)
{
    const struct pol_group *G = &p->in->groups[g];
    const size_t *d;
    size_t nd;
    policy_domain(p->in, g, &d, &nd);
    size_t start = 0;
    if (G->last_owner >= 0)
        for (size_t i = 0; i < nd; i++)
            if ((int)d[i] == G->last_owner)
                start = i + 1;
    int best = -1;
    size_t best_load = 0;
    for (size_t k = 0; k < nd; k++) {
        size_t n = d[(start + k) % nd];
        if (!can_take(p, g, n, w) || avoid[n] > level)
            continue;
        size_t groups = p->use[n].groups;
        size_t l = w->no_counts ? 0 : groups - ((int)n == w->current && groups > 0 ? 1 : 0);
        if (best < 0 || l < best_load || (l == best_load && (int)n == w->current)) {
            best = (int)n;
            best_load = l;
        }
    }
    return best;
}

static int pick(const struct plan *p, size_t g, const struct want *w, const unsigned char *avoid,
                unsigned level)
{
    switch (p->in->cfg->groups[g].policy) {
    case CFG_POLICY_ROUND_ROBIN:
        return pick_round_robin(p, g, w, avoid, level);
    case CFG_POLICY_BALANCED:
        return pick_balanced(p, g, w, avoid, level);
    case CFG_POLICY_ORDERED:
    case CFG_POLICY_SCRIPT:
    case CFG_POLICY_MAX:
        break;
    }
    const size_t *d;
    size_t nd;
    policy_domain(p->in, g, &d, &nd);
    for (size_t i = 0; i < nd; i++)
        if (can_take(p, g, d[i], w) && avoid[d[i]] <= level)
            return (int)d[i];
    return -1;
}

int place_choose(const struct plan *p, size_t g, const struct want *w)
{
    const struct pol_group *G = &p->in->groups[g];
    /* An admin's move wins over apart_from (soft), never over the hard rules. */
    if (w->use_prefer && G->prefer >= 0 && can_take(p, g, (size_t)G->prefer, w))
        return G->prefer;
    unsigned char avoid[CFG_MAX_NODES];
    relate_avoid(p, g, avoid);
    int n = -1;
    for (unsigned level = AVOID_NOT; level <= AVOID_THERE && n < 0; level++)
        n = pick(p, g, w, avoid, level);
    return n;
}

/* ---- preemption ---- */

/* What is still missing on one node for one group, per capacity name. */
struct room {
    uint64_t over[CFG_MAX_CAPACITIES];
    bool *gone; /* per group: counted as leaving */
};

static bool room_made(const struct plan *p, const struct room *r)
{
    for (size_t c = 0; c < p->in->cfg->n_capacity_names; c++)
        if (r->over[c])
            return false;
    return true;
}

/* Group h leaves node n: what it holds there no longer counts. Returns whether it helped. */
static bool room_free(const struct plan *p, struct room *r, size_t h, size_t n, bool count)
{
    if (r->gone[h] || !p->occupies[h * p->nn + n])
        return false;
    bool helped = false;
    for (size_t c = 0; c < p->in->cfg->n_capacity_names; c++) {
        uint64_t l = load_of(p, h)[c];
        if (l && r->over[c]) {
            helped = true;
            if (count)
                r->over[c] -= r->over[c] < l ? r->over[c] : l;
        }
    }
    if (count)
        r->gone[h] = true;
    return helped;
}

/*
 * h can be stopped by vigil on node n now (not stopping already, not a failed
 * stop). A copy of a clone or promotable group is never stopped to make room
 * (it is one of several: stopping it on one node would not move it).
 */
static bool stoppable(const struct plan *p, size_t h, size_t n)
{
    enum pol_obs o = p->in->groups[h].obs[n];
    return p->in->groups[h].managed && !policy_is_clone(p->in->cfg, h) &&
           policy_active_on(p->in, h, n) && o != POL_OBS_STOPPING && o != POL_OBS_STOP_FAILED;
}

/* h and, transitively, the groups that need it: they all stop with it. */
static void room_free_with_dependants(const struct plan *p, struct room *r, size_t h, size_t n)
{
    if (r->gone[h])
        return;
    room_free(p, r, h, n, true);
    r->gone[h] = true;
    for (size_t i = p->graph.off[h]; i < p->graph.off[h + 1]; i++) {
        size_t d = p->graph.deps[i];
        if (stoppable(p, d, n))
            room_free_with_dependants(p, r, d, n);
    }
}

/*
 * Whether stopping groups of lower priority on node n makes room for group
 * g; victims[] gets them, lowest priority first (ties: the last planned first).
 */
static bool preempt_on(const struct plan *p, size_t g, size_t n, bool *gone, size_t *victims,
                       size_t *n_victims)
{
    const struct cfg *cfg = p->in->cfg;
    const struct cfg_node *cn = &cfg->nodes[n];
    struct room r = {.gone = gone};
    memset(gone, 0, p->ng * sizeof(bool));
    *n_victims = 0;
    if (!cn->has_capacity)
        return false;
    for (size_t c = 0; c < cfg->n_capacity_names; c++) {
        uint64_t l = load_of(p, g)[c], need = p->use[n].held[c] + l;
        r.over[c] = l && need > cn->capacity[c] ? need - cn->capacity[c] : 0;
    }
    if (room_made(p, &r))
        return false; /* it fits: not a matter of room */
    r.gone[g] = true;
    /* Groups already stopping there will be gone. */
    for (size_t h = 0; h < p->ng; h++)
        if (policy_active_on(p->in, h, n) && p->in->groups[h].obs[n] == POL_OBS_STOPPING)
            room_free(p, &r, h, n, true);
    while (!room_made(p, &r)) {
        int best = -1;
        for (size_t h = 0; h < p->ng; h++) {
            if (r.gone[h] || p->planned[h] || p->evicted_by[h] >= 0 || p->prio[h] >= p->prio[g] ||
                !stoppable(p, h, n) || !room_free(p, &r, h, n, false))
                continue;
            if (best < 0 || p->prio[h] <= p->prio[best])
                best = (int)h;
        }
        if (best < 0)
            return false;
        victims[(*n_victims)++] = (size_t)best;
        room_free_with_dependants(p, &r, (size_t)best, n);
    }
    return true;
}

int place_preempt(struct plan *p, size_t g, const struct want *w, char *why, size_t size)
{
    const struct pol_group *G = &p->in->groups[g];
    const size_t *d;
    size_t nd;
    policy_domain(p->in, g, &d, &nd);
    unsigned char avoid[CFG_MAX_NODES];
    relate_avoid(p, g, avoid);
    bool *gone = xcalloc(p->ng ? p->ng : 1, sizeof(bool));
    size_t *victims = xcalloc(p->ng ? p->ng : 1, sizeof(size_t));
    size_t n_victims = 0;
    int found = -1;
    /* An admin's node, then domain order; nodes of groups it is apart from last. */
    for (unsigned level = AVOID_NOT; level <= AVOID_THERE && found < 0; level++)
        for (size_t i = 0; i <= nd && found < 0; i++) {
            int n = i == 0 ? (w->use_prefer ? G->prefer : -1) : (int)d[i - 1];
            if (n < 0 || !allowed(p, g, (size_t)n, w) || avoid[n] != level)
                continue;
            if (preempt_on(p, g, (size_t)n, gone, victims, &n_victims))
                found = n;
        }
    if (found >= 0) {
        const char *node = p->in->cfg->nodes[found].name;
        if (!n_victims)
            snprintf(why, size, "waiting for room on %s (groups are stopping there)", node);
        else
            snprintf(why, size, "waiting for room on %s: stopping group ", node);
        for (size_t i = 0; i < n_victims; i++) {
            p->evicted_by[victims[i]] = (int)g;
            size_t len = strlen(why);
            snprintf(why + len, size - len, "%s%s (priority %d)", i ? ", " : "",
                     p->in->cfg->groups[victims[i]].name, (int)p->prio[victims[i]]);
        }
    }
    free(gone);
    free(victims);
    return found;
}

void place_explain_none(const struct plan *p, size_t g, int pin, const char *pin_group, char *buf,
                        size_t size)
{
    const struct cfg *cfg = p->in->cfg;
    const size_t *d;
    size_t nd;
    policy_domain(p->in, g, &d, &nd);
    snprintf(buf, size, "no eligible node: ");
    for (size_t i = 0; i < nd; i++) {
        size_t n = d[i];
        const char *name = cfg->nodes[n].name;
        const char *no = policy_ineligible(p->in, g, n);
        if (no) {
            policy_why_add(buf, size, "%s %s", name, no);
        } else if (pin >= 0 && (int)n != pin) {
            policy_why_add(buf, size, "%s not where group %s runs", name, pin_group);
        } else if (!place_fits(p, g, n)) {
            char room[160];
            place_explain_room(p, g, n, room, sizeof(room));
            policy_why_add(buf, size, "%s %s", name, room);
        } else
            policy_why_add(buf, size, "%s eligible", name);
    }
}

bool place_can_take(const struct plan *p, size_t g, size_t n, const struct want *w)
{
    return can_take(p, g, n, w);
}

void place_explain_room(const struct plan *p, size_t g, size_t n, char *buf, size_t size)
{
    const struct cfg *cfg = p->in->cfg;
    int c = short_of(p, g, n);
    if (c < 0) {
        snprintf(buf, size, "has room");
        return;
    }
    uint64_t cap = cfg->nodes[n].capacity[c], held = p->use[n].held[c];
    /*
     * The highest-priority group of a higher priority than g holding some of
     * it, so that a group displaced by priority still says so once the cluster
     * has settled (nothing else remembers the preemption).
     */
    int top = -1;
    for (size_t h = 0; h < p->ng; h++)
        if (h != g && p->occupies[h * p->nn + n] && load_of(p, h)[c] && p->prio[h] > p->prio[g] &&
            (top < 0 || p->prio[h] > p->prio[top]))
            top = (int)h;
    int len = snprintf(buf, size, "has no room (%s: needs %llu, %llu free", cfg->capacity_names[c],
                       (unsigned long long)load_of(p, g)[c],
                       (unsigned long long)(cap > held ? cap - held : 0));
    if (top >= 0 && len > 0 && (size_t)len < size)
        len += snprintf(buf + len, size - (size_t)len, "; held by group %s, priority %d",
                        cfg->groups[top].name, (int)p->prio[top]);
    if (len > 0 && (size_t)len < size)
        snprintf(buf + len, size - (size_t)len, ")");
}

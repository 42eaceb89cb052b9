/*
 * Clone and promotable groups: a copy of the group on up to `copies` nodes
 * of its domain and, for a promotable group, `primaries` of those copies
 * promoted. policy.c calls clone_plan for each such group in the planning
 * order. Clones take no part in relationships (the loader refuses them), but
 * each copy holds its group's load on its node, and eligibility, fencing,
 * quorum and the admin's intents are those of single groups. See
 * docs/architecture.md, "Clones and promotable groups: placement".
 */
#include "policy/policy_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* What one plan knows and decides about the copies of one group. */
struct copies {
    struct plan *p;
    size_t g;
    const struct pol_group *G;
    const char *gname;
    bool promotable;
    uint32_t want;      /* copies to run */
    uint32_t primaries; /* promoted copies to run (promotable), else 0 */
    /* Per node. */
    bool keep[CFG_MAX_NODES];  /* a member's copy that stays */
    bool acted[CFG_MAX_NODES]; /* an action of this group targets the node */
    size_t n_holds;            /* nodes that may hold a copy after this plan */
    size_t n_keep;
    size_t n_started; /* new copies started by this plan */
    /* Slots held by copies that do not serve: the first node of each kind, or -1. */
    int ghost;   /* a node that left and may still run a copy */
    int doomed;  /* a copy whose stop failed, or whose node is to be fenced */
    int probing; /* a member that has not probed the group yet */
    int leaving; /* a copy being stopped (by this plan, or under way, or once its action ends) */
    /* What this plan does. */
    bool started;     /* a copy is started or completed */
    bool restarted;   /* a failed copy is restarted in place */
    bool stopped;     /* a copy is stopped */
    bool multi;       /* promoted on more nodes than primaries: the extra ones are demoted */
    int backoff;      /* a failed copy whose restart in place is not due yet, or -1 */
    int moving_to;    /* a copy's new node, waiting for the old copy's stop, or -1 */
    int promote_to;   /* the first node promoted by this plan, or -1 */
    int kept;         /* the primary kept when extra ones are demoted, or -1 */
    int switch_to;    /* an admin's switchover: the node to promote once demoted, or -1 */
    char fence[192];  /* what policy_fence_failed said */
    char wait[192];   /* what a wanted start or promotion waits for (blocked) */
    char moving[192]; /* a copy moved or a primary demoted to be promoted elsewhere */
};

static const char *nname(const struct plan *p, size_t n)
{
    return p->in->cfg->nodes[n].name;
}

static int64_t score_at(const struct pol_group *G, size_t n)
{
    return G->score ? G->score[n] : POL_NO_SCORE;
}

static bool promoted_at(const struct pol_group *G, size_t n)
{
    return G->promoted && G->promoted[n];
}

static bool primary_obs(enum pol_obs o)
{
    return o == POL_OBS_PROMOTING || o == POL_OBS_PRIMARY || o == POL_OBS_DEMOTING;
}

static void first(int *slot, size_t n)
{
    if (*slot < 0)
        *slot = (int)n;
}

/* Position of node n in group g's domain (the domain's size if not in it). */
static size_t domain_pos(const struct pol_input *in, size_t g, size_t n)
{
    const size_t *d;
    size_t nd;
    policy_domain(in, g, &d, &nd);
    for (size_t i = 0; i < nd; i++)
        if (d[i] == n)
            return i;
    return nd;
}

/* The copies wanted: `copies` (every node of the domain when 0), at most the domain's size. */
static uint32_t copies_wanted(const struct pol_input *in, size_t g)
{
    const struct cfg_group *cg = &in->cfg->groups[g];
    const size_t *d;
    size_t nd;
    policy_domain(in, g, &d, &nd);
    uint32_t k = cg->kind == CFG_KIND_SINGLE ? 1 : cg->copies ? cg->copies : (uint32_t)nd;
    return k < nd ? k : (uint32_t)nd;
}

/*
 * A node that left and may still run a copy: not fenced, and active at its
 * last report, or (unclean) unknown within the domain. With recovery without
 * fencing (fencing disabled, unsafe_recovery), unclean nodes count as empty,
 * as for single groups.
 */
static bool ghost_at(const struct pol_input *in, size_t g, size_t n)
{
    const struct pol_node *N = &in->nodes[n];
    enum pol_obs o = in->groups[g].obs[n];
    if (N->online || N->fence == POL_NODE_FENCED)
        return false;
    if (N->fence == POL_NODE_UNCLEAN && !in->cfg->fence_enabled && in->cfg->fence_unsafe_recovery)
        return false;
    return pol_obs_active(o) ||
           (o == POL_OBS_UNKNOWN && N->fence == POL_NODE_UNCLEAN && policy_in_domain(in, g, n));
}

/*
 * Node n may run promoted resources of promotable group g: a member that
 * says so (promoted, or promoting, primary, demoting), or a node that left
 * and may still run a copy, last seen so or never seen.
 */
static bool may_be_primary(const struct pol_input *in, size_t g, size_t n)
{
    const struct pol_group *G = &in->groups[g];
    enum pol_obs o = G->obs[n];
    if (in->nodes[n].fence == POL_NODE_FENCED)
        return false; /* it runs nothing (a member still, until the membership notices) */
    if (in->nodes[n].online)
        return promoted_at(G, n) || primary_obs(o);
    return ghost_at(in, g, n) && (promoted_at(G, n) || primary_obs(o) || o == POL_OBS_UNKNOWN);
}

/* A member's copy that runs promoted and can be demoted: primary, or partial with promoted set. */
static bool demotable(const struct pol_input *in, size_t g, size_t n)
{
    const struct pol_group *G = &in->groups[g];
    return in->nodes[n].online &&
           (G->obs[n] == POL_OBS_PRIMARY || (G->obs[n] == POL_OBS_PARTIAL && promoted_at(G, n)));
}

int clone_primary(const struct pol_input *in, size_t g)
{
    if (in->cfg->groups[g].kind != CFG_KIND_PROMOTABLE)
        return -1;
    int any = -1;
    for (size_t n = 0; n < in->cfg->n_nodes; n++) {
        if (!in->nodes[n].online)
            continue;
        if (in->groups[g].obs[n] == POL_OBS_PRIMARY)
            return (int)n;
        if (may_be_primary(in, g, n))
            first(&any, n);
    }
    return any;
}

/* "waiting for n1 to be fenced (what)", or what fits the way node n left. */
static void ghost_why(const struct copies *c, size_t n, const char *what, char *buf, size_t size)
{
    const struct pol_input *in = c->p->in;
    const struct pol_node *N = &in->nodes[n];
    const char *name = nname(c->p, n);
    if (N->fence == POL_NODE_CLEAN)
        snprintf(buf, size, "waiting for %s to return (it left while its copy was %s; %s)", name,
                 pol_obs_name(c->G->obs[n]), what);
    else if (in->cfg->fence_enabled && N->unseen)
        snprintf(buf, size,
                 "waiting for %s, not seen since start-up (%s): it is fenced unless it joins "
                 "within fencing.startup_wait",
                 name, what);
    else if (in->cfg->fence_enabled)
        snprintf(buf, size, "waiting for %s to be fenced (%s)", name, what);
    else
        snprintf(buf, size, "waiting for %s to return (fencing is disabled; %s)", name, what);
}

/* ---- copies ---- */

/* The copy on member n may not stay there (why: policy_ineligible's answer): stop it. */
static void leave(struct copies *c, size_t n, const char *why)
{
    struct plan *p = c->p;
    enum pol_obs o = c->G->obs[n];
    const char *name = nname(p, n);
    first(&c->leaving, n);
    if (c->promotable && demotable(p->in, c->g, n)) {
        /* Demote first: another copy can be promoted as soon as it is a replica. */
        policy_emit(p, POL_DEMOTE, c->g, n, "demote group %s on %s (%s: %s), then stop it there",
                    c->gname, name, name, why);
        snprintf(c->moving, sizeof(c->moving), "demoting %s (%s) to promote another copy", name,
                 why);
    } else if (o == POL_OBS_STARTING || primary_obs(o)) {
        return; /* the action under way ends first */
    } else {
        bool budget = o == POL_OBS_FAILED && c->G->banned && c->G->banned[n];
        policy_emit(p, POL_STOP, c->g, n, "stop the copy of group %s on %s (%s: %s)", c->gname,
                    name, name, budget ? "failed there beyond its restart budget" : why);
        place_move(p, c->g, (int)n, -1);
        c->stopped = true;
    }
    c->acted[n] = true;
}

/* Sorts every node into the copies that stay, those that leave, and the slots held otherwise. */
static void scan(struct copies *c)
{
    struct plan *p = c->p;
    const struct pol_input *in = p->in;
    for (size_t n = 0; n < p->nn; n++) {
        enum pol_obs o = c->G->obs[n];
        if (!in->nodes[n].online) {
            if (ghost_at(in, c->g, n)) {
                c->n_holds++;
                first(&c->ghost, n);
            }
            continue;
        }
        if (o == POL_OBS_UNKNOWN && in->nodes[n].fence != POL_NODE_FENCED) {
            /* It may run a copy from before: it holds a slot until it has probed. */
            c->n_holds++;
            first(&c->probing, n);
            continue;
        }
        if (!pol_obs_active(o))
            continue;
        if (in->nodes[n].fence == POL_NODE_FENCED) {
            /* Fenced, not yet out of the membership: it runs nothing; tidy up what it says. */
            if (o != POL_OBS_STOP_FAILED && o != POL_OBS_STOPPING)
                leave(c, n, policy_ineligible(in, c->g, n));
            continue;
        }
        c->n_holds++;
        bool fence = c->G->fence_wanted && c->G->fence_wanted[n];
        if (o == POL_OBS_STOP_FAILED || fence) {
            first(&c->doomed, n); /* policy_fence_failed fences it */
            continue;
        }
        if (o == POL_OBS_STOPPING) {
            first(&c->leaving, n);
            continue;
        }
        const char *no = policy_ineligible(in, c->g, n);
        if (no) {
            leave(c, n, no);
            continue;
        }
        c->keep[n] = true;
        c->n_keep++;
    }
}

/* Lower is kept first: promoted copies, then replicas, starting ones, then the rest. */
static int keep_rank(const struct copies *c, size_t n)
{
    enum pol_obs o = c->G->obs[n];
    if (primary_obs(o) || promoted_at(c->G, n))
        return 0;
    return o == POL_OBS_RUNNING ? 1 : o == POL_OBS_STARTING ? 2 : 3;
}

/* More copies than wanted (copies lowered, a partition healed): stop the last ones. */
static void trim(struct copies *c)
{
    struct plan *p = c->p;
    size_t active = c->n_keep;
    while (c->n_keep > c->want) {
        int worst = -1;
        for (size_t n = 0; n < p->nn; n++) {
            if (!c->keep[n])
                continue;
            int k = keep_rank(c, n);
            int kw = worst < 0 ? -1 : keep_rank(c, (size_t)worst);
            if (worst < 0 || k > kw ||
                (k == kw && domain_pos(p->in, c->g, n) > domain_pos(p->in, c->g, (size_t)worst)))
                worst = (int)n;
        }
        size_t n = (size_t)worst;
        policy_emit(p, POL_STOP, c->g, n,
                    "stop group %s on %s: a copy runs on %zu nodes, copies: %u", c->gname,
                    nname(p, n), active, c->want);
        place_move(p, c->g, (int)n, -1);
        c->keep[n] = false;
        c->n_keep--;
        c->acted[n] = true;
        c->stopped = true;
        first(&c->leaving, n);
    }
}

/* Copies that stay: complete a partial one, restart a failed one (the restart budget allowing). */
static void in_place(struct copies *c)
{
    struct plan *p = c->p;
    for (size_t n = 0; n < p->nn; n++) {
        enum pol_obs o = c->G->obs[n];
        if (!c->keep[n] || c->acted[n])
            continue;
        if (o == POL_OBS_FAILED && c->G->backing_off && c->G->backing_off[n]) {
            first(&c->backoff, n); /* the caller plans again when it is due */
        } else if (o == POL_OBS_FAILED) {
            /* A failed primary too: the lrm stops what is left (demoting it), then starts it. */
            policy_emit(p, POL_START, c->g, n, "restart group %s on %s", c->gname, nname(p, n));
            c->acted[n] = c->restarted = true;
        } else if (o == POL_OBS_PARTIAL && !promoted_at(c->G, n)) {
            policy_emit(p, POL_START, c->g, n, "complete group %s on %s", c->gname, nname(p, n));
            c->acted[n] = c->started = true;
        }
    }
}

/* A wanted start on node n cannot be made yet: say what it waits for (the first one only). */
static void start_waits(struct copies *c, size_t n)
{
    struct plan *p = c->p;
    if (c->wait[0] || c->moving_to >= 0)
        return;
    if (c->ghost >= 0) {
        ghost_why(c, (size_t)c->ghost, "its copy may still run", c->wait, sizeof(c->wait));
    } else if (c->doomed >= 0) {
        snprintf(c->wait, sizeof(c->wait), "%s", c->fence);
    } else if (c->probing >= 0) {
        snprintf(c->wait, sizeof(c->wait), "waiting for %s to probe its resources",
                 nname(p, (size_t)c->probing));
    } else if (c->leaving >= 0) {
        /* A move of one copy: the start waits for the stop, as for single groups. */
        c->moving_to = (int)n;
        if (!c->moving[0])
            snprintf(c->moving, sizeof(c->moving), "moving a copy from %s to %s",
                     nname(p, (size_t)c->leaving), nname(p, n));
        place_reserve(p, c->g, n);
        place_move(p, c->g, -1, (int)n);
    }
}

/*
 * Starts copies on eligible nodes with room, in domain order, up to `copies`.
 * A slot counts as taken while anything may still run there: a copy being
 * stopped, a node that left uncleanly and is not fenced, a member that has
 * not probed. So a copy moves off a lost node only once it is fenced.
 */
static void start_copies(struct copies *c)
{
    struct plan *p = c->p;
    const struct pol_input *in = p->in;
    size_t missing = c->want > c->n_keep ? c->want - c->n_keep : 0;
    size_t free = c->want > c->n_holds ? c->want - c->n_holds : 0;
    const size_t *d;
    size_t nd;
    policy_domain(in, c->g, &d, &nd);
    for (size_t i = 0; i < nd && missing; i++) {
        size_t n = d[i];
        if (!in->nodes[n].online || c->G->obs[n] != POL_OBS_STOPPED ||
            policy_ineligible(in, c->g, n) || !place_fits(p, c->g, n))
            continue;
        missing--;
        if (!free) {
            start_waits(c, n);
            continue;
        }
        policy_emit(p, POL_START, c->g, n, "start a copy of group %s on %s", c->gname, nname(p, n));
        place_reserve(p, c->g, n);
        place_move(p, c->g, -1, (int)n);
        c->acted[n] = c->started = true;
        c->n_started++;
        free--;
    }
}

/* ---- primaries ---- */

/* The copy on n is a replica that may be promoted: running on an eligible member, score >= 0. */
static bool promotable_at(const struct plan *p, size_t g, size_t n)
{
    const struct pol_group *G = &p->in->groups[g];
    int64_t s = score_at(G, n);
    return p->in->nodes[n].online && G->obs[n] == POL_OBS_RUNNING && !promoted_at(G, n) &&
           !policy_ineligible(p->in, g, n) && s != POL_NO_SCORE && s >= 0;
}

/* True if node a ranks before node b for promotion: higher score, then last_owner, then domain. */
static bool ranks_before(const struct plan *p, size_t g, size_t a, size_t b)
{
    const struct pol_group *G = &p->in->groups[g];
    int64_t sa = score_at(G, a), sb = score_at(G, b);
    if (sa != sb)
        return sa > sb;
    if ((G->last_owner == (int)a) != (G->last_owner == (int)b))
        return G->last_owner == (int)a;
    return domain_pos(p->in, g, a) < domain_pos(p->in, g, b);
}

/*
 * The best copy to promote among members not in skip[] (NULL: none) and not
 * `exclude`: the admin's node (with_prefer) if it may be promoted, then by
 * ranks_before. -1 if none may be.
 */
static int best_replica(const struct plan *p, size_t g, const bool *skip, int exclude,
                        bool with_prefer)
{
    const struct pol_group *G = &p->in->groups[g];
    if (with_prefer && G->prefer >= 0 && G->prefer != exclude && !(skip && skip[G->prefer]) &&
        promotable_at(p, g, (size_t)G->prefer))
        return G->prefer;
    int best = -1;
    for (size_t n = 0; n < p->nn; n++)
        if ((int)n != exclude && !(skip && skip[n]) && promotable_at(p, g, n) &&
            (best < 0 || ranks_before(p, g, n, (size_t)best)))
            best = (int)n;
    return best;
}

/* "no copy can be promoted: no promotion score on n1, n2; a negative score on n3 (-5)". */
static void explain_no_candidate(struct copies *c)
{
    struct plan *p = c->p;
    const size_t *d;
    size_t nd;
    policy_domain(p->in, c->g, &d, &nd);
    static const char head[] = "no copy can be promoted: ";
    /* Two passes: the replicas without a score, then those with a negative one. */
    for (int negative = 0; negative < 2; negative++) {
        bool any = false;
        for (size_t i = 0; i < nd; i++) {
            size_t n = d[i];
            int64_t s = score_at(c->G, n);
            if (!c->keep[n] || c->G->obs[n] != POL_OBS_RUNNING ||
                (negative ? s == POL_NO_SCORE || s >= 0 : s != POL_NO_SCORE))
                continue;
            if (!c->wait[0])
                snprintf(c->wait, sizeof(c->wait), "%s", head);
            size_t len = strlen(c->wait);
            if (!any)
                snprintf(c->wait + len, sizeof(c->wait) - len, "%s",
                         negative ? (len > sizeof(head) - 1 ? "; a negative score on "
                                                            : "a negative score on ")
                                  : "no promotion score on ");
            any = true;
            if (negative)
                policy_why_add(c->wait, sizeof(c->wait), "%s (%" PRId64 ")", nname(p, n), s);
            else
                policy_why_add(c->wait, sizeof(c->wait), "%s", nname(p, n));
        }
    }
}

/* Promoted on more nodes than allowed (a healed partition): keep the best, demote the others. */
static void demote_extras(struct copies *c, size_t n_prim)
{
    struct plan *p = c->p;
    const struct pol_input *in = p->in;
    /* Those that cannot be demoted (gone, busy, failing) keep their seat. */
    size_t fixed = 0;
    bool cand[CFG_MAX_NODES] = {false};
    for (size_t n = 0; n < p->nn; n++) {
        if (!may_be_primary(in, c->g, n))
            continue;
        if (demotable(in, c->g, n) && !c->acted[n])
            cand[n] = true;
        else
            fixed++;
    }
    size_t seats = c->primaries > fixed ? c->primaries - fixed : 0;
    char why[sizeof(c->moving)];
    snprintf(why, sizeof(c->moving), "promoted on %zu nodes (primaries: %u): ", n_prim,
             c->primaries);
    for (size_t n = 0; n < p->nn; n++)
        if (may_be_primary(in, c->g, n))
            policy_why_add(why, sizeof(why), "%s (%s)", nname(p, n), pol_obs_name(c->G->obs[n]));
    for (;;) {
        int best = -1;
        bool pref = c->G->prefer >= 0 && cand[c->G->prefer];
        for (size_t n = 0; n < p->nn && !pref; n++)
            if (cand[n] && (best < 0 || ranks_before(p, c->g, n, (size_t)best)))
                best = (int)n;
        if (pref)
            best = c->G->prefer;
        if (best < 0)
            break;
        cand[best] = false;
        if (seats) {
            seats--;
            first(&c->kept, (size_t)best);
            continue;
        }
        policy_emit(p, POL_DEMOTE, c->g, (size_t)best, "demote group %s on %s: %s", c->gname,
                    nname(p, (size_t)best), why);
        c->acted[best] = true;
        c->multi = true;
        memcpy(c->moving, why, sizeof(why));
    }
}

/*
 * The seats are taken. An admin asked for another node (prefer, by vigil
 * group promote --on): demote one primary; the next plan promotes it there.
 */
static void switchover(struct copies *c)
{
    struct plan *p = c->p;
    const struct pol_input *in = p->in;
    int to = c->G->prefer;
    if (to < 0 || may_be_primary(in, c->g, (size_t)to) || c->acted[to] || !c->keep[to] ||
        !promotable_at(p, c->g, (size_t)to))
        return;
    int from = -1;
    for (size_t n = 0; n < p->nn; n++) {
        if (!in->nodes[n].online)
            continue;
        if (c->G->obs[n] == POL_OBS_DEMOTING || (c->acted[n] && demotable(in, c->g, n))) {
            from = (int)n; /* a demote under way (or just sent) makes the seat free */
            break;
        }
        if (demotable(in, c->g, n) && !c->acted[n] &&
            (from < 0 || ranks_before(p, c->g, (size_t)from, n)))
            from = (int)n; /* the lowest ranked primary */
    }
    if (from < 0)
        return; /* promoting or gone: wait */
    if (demotable(in, c->g, (size_t)from) && !c->acted[from]) {
        policy_emit(p, POL_DEMOTE, c->g, (size_t)from,
                    "demote group %s on %s to promote %s (admin)", c->gname, nname(p, (size_t)from),
                    nname(p, (size_t)to));
        c->acted[from] = true;
    }
    c->switch_to = to;
    snprintf(c->moving, sizeof(c->moving), "demoting %s to promote %s (admin)",
             nname(p, (size_t)from), nname(p, (size_t)to));
}

/*
 * The seats are taken, some not by a primary that serves (a node that left,
 * a copy to fence): say what a promotion waits for.
 */
static void explain_held(struct copies *c)
{
    struct plan *p = c->p;
    const struct pol_input *in = p->in;
    int held = -1;
    size_t live = 0;
    for (size_t n = 0; n < p->nn; n++) {
        if (!may_be_primary(in, c->g, n))
            continue;
        enum pol_obs o = c->G->obs[n];
        if (in->nodes[n].online && (o == POL_OBS_PRIMARY || o == POL_OBS_PROMOTING))
            live++; /* it serves, or is about to */
        else if (!in->nodes[n].online || o == POL_OBS_STOP_FAILED ||
                 (c->G->fence_wanted && c->G->fence_wanted[n]))
            first(&held, n);
    }
    if (held < 0 || live >= c->primaries)
        return; /* none held, or in flight: a stop, a failed copy's restart */
    /* This is what matters most to an operator: it replaces a copy's wait. */
    if (!in->nodes[held].online) {
        ghost_why(c, (size_t)held, "it may still be primary", c->wait, sizeof(c->wait));
    } else {
        snprintf(c->wait, sizeof(c->wait), "%s", c->fence);
        size_t len = strlen(c->wait);
        snprintf(c->wait + len, sizeof(c->wait) - len, " (it may still be primary)");
    }
}

/*
 * The copy on the node that was primary last is being started or restarted
 * there: a failed primary recovers in place (the restart budget allowing)
 * before another copy is promoted, and after a restart of the cluster the
 * last primary is waited for. Other starts (a new copy on a spare node may
 * take long, a base backup) do not hold a promotion.
 */
static bool last_primary_starting(const struct copies *c)
{
    int n = c->G->last_owner;
    return n >= 0 && c->keep[n] &&
           (c->G->obs[n] == POL_OBS_STARTING ||
            (c->acted[n] && (c->G->obs[n] == POL_OBS_FAILED || c->G->obs[n] == POL_OBS_PARTIAL)));
}

/*
 * Promotes copies until `primaries` may be primary. Never more: a node that
 * left and may still be primary keeps its seat until it is fenced. A
 * promotion waits for the last primary's restart in place and for members
 * still probing (one may be primary already).
 */
static void plan_primaries(struct copies *c)
{
    struct plan *p = c->p;
    const struct pol_input *in = p->in;
    size_t n_prim = 0;
    bool starting = last_primary_starting(c);
    for (size_t n = 0; n < p->nn; n++)
        n_prim += may_be_primary(in, c->g, n);
    if (n_prim > c->primaries) {
        demote_extras(c, n_prim);
        explain_held(c); /* extra seats held by nodes that left: their fencing first */
    } else if (n_prim == c->primaries) {
        switchover(c);
        explain_held(c);
    } else if (!starting && c->probing >= 0) {
        snprintf(c->wait, sizeof(c->wait),
                 "waiting for %s to probe its resources (it may be primary)",
                 nname(p, (size_t)c->probing));
    } else if (!starting) {
        size_t need = c->primaries - n_prim;
        bool skip[CFG_MAX_NODES];
        for (size_t n = 0; n < p->nn; n++)
            skip[n] = c->acted[n] || !c->keep[n]; /* not a copy to fence, to stop */
        for (; need; need--) {
            int n = best_replica(p, c->g, skip, -1, true);
            if (n < 0)
                break;
            skip[n] = c->acted[n] = true;
            if (c->G->prefer == n)
                policy_emit(p, POL_PROMOTE, c->g, (size_t)n, "promote group %s on %s (admin)",
                            c->gname, nname(p, (size_t)n));
            else
                policy_emit(p, POL_PROMOTE, c->g, (size_t)n,
                            "promote group %s on %s (score %" PRId64 ")", c->gname,
                            nname(p, (size_t)n), score_at(c->G, (size_t)n));
            first(&c->promote_to, (size_t)n);
        }
        /* None to promote: blocked, unless a copy on its way may be promotable. */
        bool coming = c->started || c->restarted || c->backoff >= 0;
        for (size_t n = 0; n < p->nn; n++)
            coming |= c->keep[n] && c->G->obs[n] == POL_OBS_STARTING;
        if (!n_prim && c->promote_to < 0 && !coming)
            explain_no_candidate(c);
    }
    /* A primary found partial (by a probe): complete it, as primary. */
    for (size_t n = 0; n < p->nn; n++)
        if (c->keep[n] && !c->acted[n] && c->G->obs[n] == POL_OBS_PARTIAL && promoted_at(c->G, n)) {
            policy_emit(p, POL_PROMOTE, c->g, n, "complete group %s on %s as primary", c->gname,
                        nname(p, n));
            c->acted[n] = true;
            first(&c->promote_to, n);
        }
}

/* ---- the group's state ---- */

/* How many nodes of the domain could run a copy (eligible, with room or holding one already). */
static size_t room_for_copies(const struct copies *c)
{
    const size_t *d;
    size_t nd, k = 0;
    policy_domain(c->p->in, c->g, &d, &nd);
    for (size_t i = 0; i < nd; i++)
        k += !policy_ineligible(c->p->in, c->g, d[i]) && place_fits(c->p, c->g, d[i]);
    return k;
}

/*
 * Fewer copies than the eligible nodes allow, and no start waiting to say
 * why (the slot is on the very node that should run the copy: a failed
 * stop there, a member still probing): say what the missing copy waits for.
 */
static void explain_short(struct copies *c, size_t room)
{
    size_t reach = c->want < room ? c->want : room;
    if (!c->wait[0] && c->doomed >= 0) /* a copy to fence (or to clean up): always said */
        snprintf(c->wait, sizeof(c->wait), "%s", c->fence);
    if (c->wait[0] || c->moving_to >= 0 || c->n_keep + c->n_started >= reach)
        return;
    if (c->ghost >= 0)
        ghost_why(c, (size_t)c->ghost, "its copy may still run", c->wait, sizeof(c->wait));
    else if (c->doomed >= 0)
        snprintf(c->wait, sizeof(c->wait), "%s", c->fence);
    else if (c->probing >= 0)
        snprintf(c->wait, sizeof(c->wait), "waiting for %s to probe its resources",
                 nname(c->p, (size_t)c->probing));
}

static void finish(struct copies *c)
{
    struct plan *p = c->p;
    struct pol_group_out *o = &p->out->groups[c->g];
    bool starting = c->started || c->promote_to >= 0, stopping = c->stopped, primary = false;
    size_t serving = 0;
    for (size_t n = 0; n < p->nn; n++) {
        enum pol_obs ob = c->G->obs[n];
        if (!p->in->nodes[n].online)
            continue;
        starting |= c->keep[n] && (ob == POL_OBS_STARTING || ob == POL_OBS_PROMOTING);
        stopping |= ob == POL_OBS_STOPPING || ob == POL_OBS_DEMOTING;
        primary |= ob == POL_OBS_PRIMARY && !c->acted[n];
        serving += c->keep[n] && !c->acted[n] && (ob == POL_OBS_RUNNING || ob == POL_OBS_PRIMARY);
    }
    o->node = c->promote_to >= 0  ? c->promote_to
              : c->switch_to >= 0 ? c->switch_to
              : c->kept >= 0      ? c->kept
                                  : clone_primary(p->in, c->g);
    size_t room = room_for_copies(c);
    explain_short(c, room);
    if (!c->n_keep && !c->started && c->moving_to < 0 && !c->wait[0] && !room) {
        o->state = POL_ST_FAILED;
        place_explain_none(p, c->g, PIN_ANY, "", o->why, sizeof(o->why));
    } else if (c->wait[0]) {
        o->state = POL_ST_BLOCKED;
        snprintf(o->why, sizeof(o->why), "%s", c->wait);
    } else if (c->multi) {
        o->state = POL_ST_STOPPING;
        o->multi_active = true;
        snprintf(o->why, sizeof(o->why), "%s", c->moving);
    } else if (c->moving[0]) {
        o->state = POL_ST_MOVING;
        snprintf(o->why, sizeof(o->why), "%s", c->moving);
    } else if (c->restarted || c->backoff >= 0) {
        o->state = POL_ST_RECOVERING;
        if (c->backoff >= 0)
            snprintf(o->why, sizeof(o->why), "restarting on %s in back-off",
                     nname(p, (size_t)c->backoff));
    } else if (starting) {
        o->state = POL_ST_STARTING;
    } else if (stopping && (!serving || (c->promotable && !primary))) {
        o->state = POL_ST_STOPPING; /* restarted or promoted once stopped or demoted */
    } else if (c->promotable && !primary) {
        /* A seat held by a copy that does not say it is primary (not expected from the lrm). */
        o->state = POL_ST_BLOCKED;
        snprintf(o->why, sizeof(o->why), "no primary runs: ");
        for (size_t n = 0; n < p->nn; n++)
            if (may_be_primary(p->in, c->g, n))
                policy_why_add(o->why, sizeof(o->why), "%s may still run promoted resources (%s)",
                               nname(p, n), pol_obs_name(c->G->obs[n]));
    } else {
        o->state = POL_ST_RUNNING;
    }
}

/* Asked to be stopped, or halted: every copy stops (a primary's stop demotes it first). */
static void plan_stopped(struct copies *c, const int *current, size_t n_current)
{
    struct plan *p = c->p;
    struct pol_group_out *o = &p->out->groups[c->g];
    size_t stopping = policy_stop_everywhere(p, c->g, current, n_current, false,
                                             c->G->halted ? "is halted" : "is stopped by an admin");
    char blocked[sizeof(o->why)] = "";
    int ghost = -1, probing = -1;
    for (size_t n = 0; n < p->nn; n++) {
        if (ghost_at(p->in, c->g, n))
            first(&ghost, n);
        if (p->in->nodes[n].online && c->G->obs[n] == POL_OBS_UNKNOWN)
            first(&probing, n);
    }
    if (c->fence[0])
        snprintf(blocked, sizeof(blocked), "%s", c->fence);
    else if (ghost >= 0)
        ghost_why(c, (size_t)ghost, "its copy may still run", blocked, sizeof(blocked));
    else if (probing >= 0)
        snprintf(blocked, sizeof(blocked), "waiting for %s to probe its resources",
                 nname(p, (size_t)probing));
    if (c->G->halted) {
        o->state = POL_ST_HALTED;
        snprintf(o->why, sizeof(o->why),
                 "halted after a failure: vigil cleanup %s or vigil group start %s", c->gname,
                 c->gname);
    } else if (blocked[0] && !stopping) {
        o->state = POL_ST_BLOCKED;
        snprintf(o->why, sizeof(o->why), "%s", blocked);
    } else {
        o->state = n_current ? POL_ST_STOPPING : POL_ST_STOPPED;
    }
}

void clone_plan(struct plan *p, size_t g, const int *current, size_t n_current)
{
    const struct cfg_group *cg = &p->in->cfg->groups[g];
    struct copies c = {
        .p = p,
        .g = g,
        .G = &p->in->groups[g],
        .gname = cg->name,
        .promotable = cg->kind == CFG_KIND_PROMOTABLE,
        .want = copies_wanted(p->in, g),
        .ghost = -1,
        .doomed = -1,
        .probing = -1,
        .leaving = -1,
        .backoff = -1,
        .moving_to = -1,
        .promote_to = -1,
        .kept = -1,
        .switch_to = -1,
    };
    c.primaries = c.promotable ? (cg->primaries ? cg->primaries : 1) : 0;
    /* Failed stops and on_fail: fence are fenced at once, as for single groups. */
    policy_fence_failed(p, g, c.fence, sizeof(c.fence));
    if (c.G->halted || !c.G->target_started) {
        plan_stopped(&c, current, n_current);
        return;
    }
    if (c.promotable && policy_prefer_lost(p->in, g) && cg->failback == CFG_FAILBACK_CONTROLLED)
        p->out->groups[g].drop_prefer = true;
    scan(&c);
    trim(&c);
    in_place(&c);
    start_copies(&c);
    if (c.promotable)
        plan_primaries(&c);
    finish(&c);
}

int clone_next_node(const struct plan *p, size_t g, int exclude)
{
    if (p->in->cfg->groups[g].kind != CFG_KIND_PROMOTABLE)
        return -1;
    return best_replica(p, g, NULL, exclude, false);
}

int clone_node_refusal(const struct plan *p, size_t g, size_t n, char *buf, size_t size)
{
    const struct pol_input *in = p->in;
    const struct cfg_group *cg = &in->cfg->groups[g];
    const struct pol_group *G = &in->groups[g];
    const char *node = nname(p, n);
    const char *no = policy_ineligible(in, g, n);
    enum pol_obs o = G->obs[n];
    int64_t s = score_at(G, n);
    if (cg->kind != CFG_KIND_PROMOTABLE)
        snprintf(buf, size,
                 "group %s is a clone: its copies are not moved (they run on up to %u nodes "
                 "of its domain; put a node in standby to move its copy away)",
                 cg->name, copies_wanted(in, g));
    else if (no)
        snprintf(buf, size, "%s %s", node, no);
    else if (o != POL_OBS_RUNNING && o != POL_OBS_PRIMARY && o != POL_OBS_PROMOTING)
        snprintf(buf, size, "%s runs no replica of group %s (its copy is %s there)", node, cg->name,
                 pol_obs_name(o));
    else if (o == POL_OBS_RUNNING && s == POL_NO_SCORE)
        snprintf(buf, size, "%s has no promotion score", node);
    else if (o == POL_OBS_RUNNING && s < 0)
        snprintf(buf, size,
                 "%s has a negative promotion score (%" PRId64 "): its data may be behind", node,
                 s);
    else {
        if (size)
            buf[0] = '\0';
        return 0; /* it may be promoted there, or is primary there already */
    }
    return -EINVAL;
}

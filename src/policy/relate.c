/* Relationships between groups: requires (with colocated), together_with and apart_from. */
#include "policy/policy_priv.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

static const char *gname(const struct plan *p, size_t g)
{
    return p->in->cfg->groups[g].name;
}

static const char *nname(const struct plan *p, size_t n)
{
    return p->in->cfg->nodes[n].name;
}

/*
 * From observations alone (a group not planned yet: policy_next_node, or a
 * cycle the loader would refuse): the only member it is active on, if it
 * runs there.
 */
static int steady_seen(const struct plan *p, size_t g)
{
    int at = -1;
    for (size_t n = 0; n < p->nn; n++)
        if (policy_active_on(p->in, g, n)) {
            if (at >= 0)
                return -1;
            at = (int)n;
        }
    return at >= 0 && p->in->groups[g].obs[at] == POL_OBS_RUNNING ? at : -1;
}

/* Active on member n and not on its way out there (being stopped, or a failed stop). */
static bool stays_seen(const struct plan *p, size_t g, size_t n)
{
    enum pol_obs o = p->in->groups[g].obs[n];
    return policy_active_on(p->in, g, n) && o != POL_OBS_STOPPING && o != POL_OBS_STOP_FAILED;
}

static int runs_seen(const struct plan *p, size_t g)
{
    for (size_t n = 0; n < p->nn; n++)
        if (stays_seen(p, g, n))
            return (int)n;
    return -1;
}

static int steady_of(const struct plan *p, size_t g)
{
    return p->planned[g] ? p->steady[g] : steady_seen(p, g);
}

static int runs_of(const struct plan *p, size_t g)
{
    return p->planned[g] ? p->runs[g] : runs_seen(p, g);
}

static const char *verb_of(const struct plan *p, size_t g)
{
    return p->planned[g] && p->verb[g] ? p->verb[g] : "is not running";
}

/* Narrows *pin to node at (decided by group h); false on a conflict (why filled). */
static bool narrow(const struct plan *p, int *pin, int *by, size_t h, const char *rel, int at,
                   char *wait, char *stop, size_t size)
{
    if (*pin == PIN_ANY) {
        *pin = at;
        *by = (int)h;
        return true;
    }
    if (*pin == at)
        return true;
    snprintf(wait, size, "group %s runs on %s but group %s (%s) on %s", gname(p, (size_t)*by),
             nname(p, (size_t)*pin), gname(p, h), rel, nname(p, (size_t)at));
    snprintf(stop, size, "stopped: %s", wait);
    return false;
}

int relate_pin(const struct plan *p, size_t g, char *wait, char *stop, size_t size, int *ret_by)
{
    const struct cfg_group *cg = &p->in->cfg->groups[g];
    int pin = PIN_ANY, by = -1;
    wait[0] = stop[0] = '\0';
    for (size_t k = 0; k < cg->n_requires + cg->n_together_with; k++) {
        bool req = k < cg->n_requires;
        size_t h = req ? cg->requires[k] : cg->together_with[k - cg->n_requires];
        const char *rel = req ? "required" : "together_with";
        if (h >= p->ng || h == g)
            continue;
        int at = req ? steady_of(p, h) : runs_of(p, h);
        if (at < 0) {
            snprintf(wait, size, "waiting for group %s (%s)", gname(p, h), rel);
            snprintf(stop, size, "stopped while group %s %s", gname(p, h), verb_of(p, h));
            *ret_by = (int)h;
            return PIN_WAIT;
        }
        if ((!req || cg->colocated) && !narrow(p, &pin, &by, h, rel, at, wait, stop, size)) {
            *ret_by = (int)h;
            return PIN_CONFLICT;
        }
    }
    *ret_by = by;
    return pin;
}

static bool names(const size_t *list, size_t n, size_t g)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == g)
            return true;
    return false;
}

/* Marks in seen[] the groups that need group g, directly or not (requires, together_with). */
static void mark_dependants(const struct plan *p, size_t g, bool *seen)
{
    for (size_t i = p->graph.off[g]; i < p->graph.off[g + 1]; i++) {
        size_t d = p->graph.deps[i];
        if (!seen[d]) {
            seen[d] = true;
            mark_dependants(p, d, seen);
        }
    }
}

/*
 * A group never avoids the groups that need it: they are placed after it
 * and avoid it themselves, and moving it away from one would stop that one
 * too, removing the reason for the move (and it would move back).
 */
void relate_avoid(const struct plan *p, size_t g, unsigned char *avoid)
{
    const struct cfg *cfg = p->in->cfg;
    memset(avoid, 0, CFG_MAX_NODES);
    bool *mine = xcalloc(p->ng ? p->ng : 1, sizeof(bool));
    mark_dependants(p, g, mine);
    for (size_t h = 0; h < p->ng; h++) {
        if (h == g || mine[h] ||
            !(names(cfg->groups[g].apart_from, cfg->groups[g].n_apart_from, h) ||
              names(cfg->groups[h].apart_from, cfg->groups[h].n_apart_from, g)))
            continue;
        int only = -1, eligible = 0;
        for (size_t n = 0; n < p->nn; n++) {
            if (policy_active_on(p->in, h, n))
                avoid[n] = AVOID_THERE;
            if (!policy_ineligible(p->in, h, n)) {
                only = (int)n;
                eligible++;
            }
        }
        if (p->planned[h] && p->placed[h] >= 0)
            avoid[p->placed[h]] = AVOID_THERE;
        /* Not planned yet and stopped: if it can go to one node only, that node is its. */
        const struct pol_group *H = &p->in->groups[h];
        if (!p->planned[h] && runs_seen(p, h) < 0 && H->managed && H->target_started &&
            !H->halted && eligible == 1 && !avoid[only])
            avoid[only] = AVOID_LIKELY;
    }
    free(mine);
}

int relate_apart_on(const struct plan *p, size_t g, size_t n)
{
    const struct cfg *cfg = p->in->cfg;
    bool *mine = xcalloc(p->ng ? p->ng : 1, sizeof(bool));
    mark_dependants(p, g, mine);
    int found = -1;
    for (size_t h = 0; h < p->ng && found < 0; h++)
        if (h != g && !mine[h] &&
            (names(cfg->groups[g].apart_from, cfg->groups[g].n_apart_from, h) ||
             names(cfg->groups[h].apart_from, cfg->groups[h].n_apart_from, g)) &&
            policy_active_on(p->in, h, n))
            found = (int)h;
    free(mine);
    return found;
}

/* True if a staged action of type t targets node n. */
static bool staged_at(const struct plan *p, enum pol_action_type t, size_t n)
{
    for (size_t i = 0; i < p->n_stage; i++)
        if (p->stage[i].type == t && p->stage[i].node == n)
            return true;
    return false;
}

/* What happens to a group that does not run steadily, in its dependants' why. */
static const char *verb_for(enum pol_state s)
{
    switch (s) {
    case POL_ST_RECOVERING:
        return "restarts";
    case POL_ST_MOVING:
        return "moves";
    case POL_ST_STOPPING:
        return "stops";
    case POL_ST_STARTING:
        return "starts";
    case POL_ST_HALTED:
        return "is halted";
    case POL_ST_FAILED:
        return "cannot run";
    case POL_ST_BLOCKED:
        return "is blocked";
    case POL_ST_STOPPED:
        return "is stopped";
    case POL_ST_RUNNING:
    case POL_ST_UNMANAGED:
    case POL_ST_NO_QUORUM:
    case POL_ST_MAX:
        break;
    }
    return "is not running";
}

/*
 * A managed group that requires g and is active on a member (on node `at`
 * only, and only colocated ones, when at >= 0), or -1.
 */
static int active_dependant(const struct plan *p, size_t g, int at)
{
    const struct cfg *cfg = p->in->cfg;
    for (size_t i = p->graph.off[g]; i < p->graph.off[g + 1]; i++) {
        size_t d = p->graph.deps[i];
        const struct cfg_group *cd = &cfg->groups[d];
        if (!p->in->groups[d].managed || !names(cd->requires, cd->n_requires, g))
            continue;
        if (at >= 0) {
            if (cd->colocated && policy_active_on(p->in, d, (size_t)at))
                return (int)d;
            continue;
        }
        for (size_t n = 0; n < p->nn; n++)
            if (policy_active_on(p->in, d, n))
                return (int)d;
    }
    return -1;
}

void relate_commit(struct plan *p, size_t g)
{
    const struct pol_group *G = &p->in->groups[g];
    struct pol_group_out *o = &p->out->groups[g];
    int at = o->node;
    bool steady = at >= 0 && p->in->nodes[at].online && G->obs[at] == POL_OBS_RUNNING &&
                  !staged_at(p, POL_STOP, (size_t)at) && !staged_at(p, POL_START, (size_t)at);
    p->steady[g] = steady ? at : -1;
    p->verb[g] = steady ? NULL : verb_for(o->state);

    /* Holds: a group's stops and starts wait for the groups that require it to stop. */
    int held_start = -1, held_stop = -1;
    uint64_t stops = 0, starts = 0; /* per node, what is sent */
    for (size_t i = 0; i < p->n_stage; i++) {
        const struct pol_action *a = &p->stage[i];
        int d = -1;
        if (a->type == POL_START || (a->type == POL_STOP && !steady))
            d = active_dependant(p, g, -1);
        else if (a->type == POL_STOP)
            d = active_dependant(p, g, (int)a->node);
        if (d < 0) {
            policy_push(p, a);
            stops |= a->type == POL_STOP ? 1ull << a->node : 0;
            starts |= a->type == POL_START ? 1ull << a->node : 0;
        } else if (a->type == POL_START) {
            held_start = d;
        } else if (held_stop < 0) {
            held_stop = d;
        }
    }
    /*
     * A group with an action held waits: blocked, at the node it runs on or
     * will run on; its why says what it waits for first (a long why is cut),
     * then what it is about to do ("moving from n1 to n2").
     */
    int d = held_start >= 0 ? held_start : held_stop;
    if (d >= 0) {
        char was[sizeof(o->why)];
        memcpy(was, o->why, sizeof(was));
        o->state = POL_ST_BLOCKED;
        snprintf(o->why, sizeof(o->why), "waiting for group %s to stop first (it requires %s)",
                 gname(p, (size_t)d), gname(p, g));
        if (was[0])
            policy_why_add(o->why, sizeof(o->why), "%s", was);
    }

    /* Where it runs or is being started once this plan is carried out. */
    int runs = -1;
    for (size_t n = 0; n < p->nn; n++) {
        bool here = (starts >> n & 1) || (stays_seen(p, g, n) && !(stops >> n & 1));
        if (here && (runs < 0 || (int)n == o->node))
            runs = (int)n;
    }
    p->runs[g] = runs;
    if (p->placed[g] < 0) /* a planned move or start keeps its target */
        p->placed[g] = runs;
    p->planned[g] = true;
}

bool relate_needed_here(const struct plan *p, size_t g)
{
    for (size_t i = p->graph.off[g]; i < p->graph.off[g + 1]; i++) {
        size_t d = p->graph.deps[i];
        for (size_t n = 0; n < p->nn; n++)
            if (p->in->groups[d].managed && policy_active_on(p->in, d, n))
                return true;
    }
    return false;
}

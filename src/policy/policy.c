#include "policy/policy.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Planning state shared by the groups of one plan. */
struct plan {
    const struct pol_input *in;
    struct pol_output *out;
    size_t *load; /* groups active or planned per node, for round-robin */
    /* Actions by kind, concatenated at the end: stops, fences, starts. */
    struct pol_action *by_type[POL_ACTION_MAX];
    size_t n_by_type[POL_ACTION_MAX];
    size_t cap_by_type[POL_ACTION_MAX];
};

bool pol_obs_active(enum pol_obs o)
{
    switch (o) {
    case POL_OBS_STARTING:
    case POL_OBS_RUNNING:
    case POL_OBS_STOPPING:
    case POL_OBS_PARTIAL:
    case POL_OBS_FAILED:
    case POL_OBS_STOP_FAILED:
        return true;
    case POL_OBS_UNKNOWN:
    case POL_OBS_STOPPED:
    case POL_OBS_MAX:
        break;
    }
    return false;
}

const char *pol_obs_name(enum pol_obs o)
{
    static const char *const names[POL_OBS_MAX] = {"unknown", "stopped",    "starting",
                                                   "running", "stopping",   "partial",
                                                   "failed",  "stop failed"};
    return (unsigned)o < POL_OBS_MAX ? names[o] : "invalid";
}

const char *pol_state_name(enum pol_state s)
{
    static const char *const names[POL_ST_MAX] = {"stopped", "running",    "starting", "stopping",
                                                  "moving",  "recovering", "blocked",  "failed",
                                                  "halted",  "unmanaged",  "no quorum"};
    return (unsigned)s < POL_ST_MAX ? names[s] : "invalid";
}

const char *pol_action_name(enum pol_action_type t)
{
    static const char *const names[POL_ACTION_MAX] = {"stop", "fence", "start"};
    return (unsigned)t < POL_ACTION_MAX ? names[t] : "invalid";
}

static const char *node_name(const struct pol_input *in, size_t n)
{
    return in->cfg->nodes[n].name;
}

static void emit(struct plan *p, enum pol_action_type t, size_t g, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void emit(struct plan *p, enum pol_action_type t, size_t g, size_t n, const char *fmt, ...)
{
    xgrow((void **)&p->by_type[t], &p->cap_by_type[t], p->n_by_type[t] + 1,
          sizeof(struct pol_action));
    struct pol_action *a = &p->by_type[t][p->n_by_type[t]++];
    memset(a, 0, sizeof(*a));
    a->type = t;
    a->group = g;
    a->node = n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
    va_end(ap);
}

static void why(struct pol_group_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void why(struct pol_group_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->why, sizeof(o->why), fmt, ap);
    va_end(ap);
}

/* Appends to o->why, separated by ", ", as long as it fits. */
static void why_add(struct pol_group_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void why_add(struct pol_group_out *o, const char *fmt, ...)
{
    size_t len = strlen(o->why);
    if (len + 3 >= sizeof(o->why))
        return;
    if (len && o->why[len - 1] != ' ') {
        memcpy(o->why + len, ", ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->why + len, sizeof(o->why) - len, fmt, ap);
    va_end(ap);
}

static void domain_of(const struct pol_input *in, size_t g, const size_t **ret, size_t *ret_n)
{
    const struct pol_group *G = &in->groups[g];
    if (G->domain) {
        *ret = G->domain;
        *ret_n = G->n_domain;
    } else {
        *ret = in->cfg->groups[g].domain;
        *ret_n = in->cfg->groups[g].n_domain;
    }
}

static bool in_domain(const struct pol_input *in, size_t g, size_t n)
{
    const size_t *d;
    size_t nd;
    domain_of(in, g, &d, &nd);
    for (size_t i = 0; i < nd; i++)
        if (d[i] == n)
            return true;
    return false;
}

/* Why node n cannot run group g, or NULL if it can. */
static const char *ineligible(const struct pol_input *in, size_t g, size_t n)
{
    const struct pol_node *N = &in->nodes[n];
    const struct pol_group *G = &in->groups[g];
    if (!in_domain(in, g, n))
        return "not in the domain";
    if (!N->online)
        return "offline";
    if (N->fence != POL_NODE_CLEAN)
        return "not clean";
    if (N->standby)
        return "in standby";
    if (N->leaving)
        return "stopping (planned)";
    if (G->banned && G->banned[n])
        return "failed there (cleanup to retry)";
    return NULL;
}

static bool eligible(const struct pol_input *in, size_t g, size_t n)
{
    return ineligible(in, g, n) == NULL;
}

/*
 * The node group g should run on, among eligible nodes other than exclude
 * (-1: none excluded), or -1. use_prefer: an admin's move counts first.
 * load may be NULL (round-robin then falls back to rotation alone).
 */
static int choose(const struct pol_input *in, size_t g, int exclude, bool use_prefer,
                  const size_t *load, int current)
{
    const struct pol_group *G = &in->groups[g];
    const struct cfg_group *cg = &in->cfg->groups[g];
    if (use_prefer && G->prefer >= 0 && G->prefer != exclude && eligible(in, g, (size_t)G->prefer))
        return G->prefer;
    const size_t *d;
    size_t nd;
    domain_of(in, g, &d, &nd);
    if (cg->policy != CFG_POLICY_ROUND_ROBIN) {
        for (size_t i = 0; i < nd; i++)
            if ((int)d[i] != exclude && eligible(in, g, d[i]))
                return (int)d[i];
        return -1;
    }
    /* Round-robin: fewest groups; the current node wins a tie; then rotation after last_owner. */
    size_t start = 0;
    if (G->last_owner >= 0)
        for (size_t i = 0; i < nd; i++)
            if ((int)d[i] == G->last_owner)
                start = i + 1;
    int best = -1;
    size_t best_load = 0;
    for (size_t k = 0; k < nd; k++) {
        size_t n = d[(start + k) % nd];
        if ((int)n == exclude || !eligible(in, g, n))
            continue;
        size_t l = load ? load[n] - ((int)n == current && load[n] > 0 ? 1 : 0) : 0;
        if (best < 0 || l < best_load || (l == best_load && (int)n == current)) {
            best = (int)n;
            best_load = l;
        }
    }
    return best;
}

int policy_next_node(const struct pol_input *in, size_t g, int exclude)
{
    return choose(in, g, exclude, false, NULL, -1);
}

/* Explains, in o->why, why no node of the domain can run group g. */
static void explain_none(const struct pol_input *in, size_t g, struct pol_group_out *o)
{
    const size_t *d;
    size_t nd;
    domain_of(in, g, &d, &nd);
    why(o, "no eligible node: ");
    for (size_t i = 0; i < nd; i++)
        why_add(o, "%s %s", node_name(in, d[i]), ineligible(in, g, d[i]) ?: "eligible");
}

/* The first of the n_current nodes in current, in domain order, that may run group g, or -1. */
/*
 * The node an admin moved group g to can no longer run it: it failed it, is
 * in standby, was lost (unclean or fenced) or left the domain. A node that is
 * merely offline after a clean shutdown, stopping for one (planned), or not
 * seen yet since start-up (a cluster starting up), keeps the preference: the
 * group goes back there when it returns.
 */
static bool prefer_lost(const struct pol_input *in, size_t g)
{
    const struct pol_group *G = &in->groups[g];
    if (G->prefer < 0 || eligible(in, g, (size_t)G->prefer))
        return false;
    const struct pol_node *N = &in->nodes[G->prefer];
    bool away = (!N->online && (N->fence == POL_NODE_CLEAN || N->unseen)) || N->leaving;
    bool spoilt =
        N->standby || (G->banned && G->banned[G->prefer]) || !in_domain(in, g, (size_t)G->prefer);
    return !away || spoilt;
}

static int first_current(const struct pol_input *in, size_t g, const int *current, size_t n_current)
{
    const size_t *d;
    size_t nd;
    domain_of(in, g, &d, &nd);
    for (size_t i = 0; i < nd; i++)
        for (size_t k = 0; k < n_current; k++)
            if (current[k] == (int)d[i] && eligible(in, g, d[i]))
                return current[k];
    return -1;
}

/*
 * Which copy of a group active on several nodes to keep. A copy that runs
 * whole beats a partial one (a node back from a crash with leftovers must not
 * displace the copy that serves); among those, the node it last ran on, then
 * where it should run, then domain order. -1 when no active node may run it.
 */
static int pick_keeper(const struct pol_input *in, size_t g, const int *current, size_t n_current)
{
    const struct pol_group *G = &in->groups[g];
    int running[CFG_MAX_NODES];
    size_t n_running = 0;
    for (size_t i = 0; i < n_current; i++)
        if (G->obs[current[i]] == POL_OBS_RUNNING && eligible(in, g, (size_t)current[i]))
            running[n_running++] = current[i];
    const int *set = n_running ? running : current;
    size_t n_set = n_running ? n_running : n_current;
    for (size_t i = 0; i < n_set; i++)
        if (set[i] == G->last_owner && eligible(in, g, (size_t)set[i]))
            return set[i];
    int want = choose(in, g, -1, true, NULL, -1);
    for (size_t i = 0; i < n_set; i++)
        if (set[i] == want)
            return want;
    return first_current(in, g, set, n_set);
}

static void plan_group(struct plan *p, size_t g)
{
    const struct pol_input *in = p->in;
    const struct cfg *cfg = in->cfg;
    const struct pol_group *G = &in->groups[g];
    const char *gname = cfg->groups[g].name;
    struct pol_group_out *o = &p->out->groups[g];

    int current[CFG_MAX_NODES];
    size_t n_current = 0;
    for (size_t n = 0; n < cfg->n_nodes; n++)
        if (in->nodes[n].online && pol_obs_active(G->obs[n]))
            current[n_current++] = (int)n;
    /* Where it runs, until a decision below says where it will run. */
    o->node = n_current ? current[0] : -1;

    if (!G->managed) {
        o->state = POL_ST_UNMANAGED;
        return;
    }

    /*
     * What must be waited for before it may start anywhere. Fences are asked
     * for at once; stops (an admin's, a halt) are never held back, since
     * stopping is always safe.
     */
    char blocked[sizeof(o->why)] = "";
    /* A node that failed to stop it, or whose failure asks for fencing: fence it first. */
    for (size_t n = 0; n < cfg->n_nodes && !blocked[0]; n++) {
        bool stop_failed = G->obs[n] == POL_OBS_STOP_FAILED;
        bool wants = G->fence_wanted && G->fence_wanted[n] && pol_obs_active(G->obs[n]);
        if (!stop_failed && !wants)
            continue;
        if (in->nodes[n].fence == POL_NODE_FENCED)
            continue;
        const char *what = stop_failed ? "its stop failed" : "a resource failed (on_fail: fence)";
        if (!cfg->fence_enabled)
            snprintf(blocked, sizeof(blocked),
                     "%s on %s and fencing is disabled: make sure it is stopped there, then run "
                     "vigil cleanup %s",
                     what, node_name(in, n), gname);
        else if (in->nodes[n].online || in->nodes[n].fence == POL_NODE_UNCLEAN) {
            if (in->nodes[n].online)
                emit(p, POL_FENCE, g, n, "group %s: %s", gname, what);
            snprintf(blocked, sizeof(blocked), "%s on %s: waiting for %s to be fenced", what,
                     node_name(in, n), node_name(in, n));
        } else {
            snprintf(blocked, sizeof(blocked),
                     "%s on %s, which left: waiting for it to return (or vigil fence --confirm "
                     "%s)",
                     what, node_name(in, n), node_name(in, n));
        }
    }

    /* A node that left uncleanly may still run it: wait for its fencing. */
    for (size_t n = 0; n < cfg->n_nodes && !blocked[0]; n++) {
        const struct pol_node *N = &in->nodes[n];
        if (N->online || N->fence == POL_NODE_FENCED)
            continue;
        /*
         * Unknown on an unclean node: it may run anything of the group from an
         * earlier run, but only if it is in the group's domain (a group never
         * runs elsewhere).
         */
        bool maybe =
            pol_obs_active(G->obs[n]) ||
            (G->obs[n] == POL_OBS_UNKNOWN && N->fence == POL_NODE_UNCLEAN && in_domain(in, g, n));
        if (!maybe)
            continue;
        if (N->fence == POL_NODE_CLEAN)
            snprintf(blocked, sizeof(blocked),
                     "%s left while the group was %s there: waiting for it to return",
                     node_name(in, n), pol_obs_name(G->obs[n]));
        else if (!cfg->fence_enabled && cfg->fence_unsafe_recovery)
            continue; /* the admin chose recovery without fencing (logged by the caller) */
        else if (cfg->fence_enabled && N->unseen)
            snprintf(blocked, sizeof(blocked),
                     "waiting for %s, not seen since start-up: it may still run something of "
                     "the group; it is fenced unless it joins within fencing.startup_wait",
                     node_name(in, n));
        else if (cfg->fence_enabled)
            snprintf(blocked, sizeof(blocked), "waiting for %s to be fenced", node_name(in, n));
        else
            snprintf(blocked, sizeof(blocked), "waiting for %s to return (fencing is disabled%s)",
                     node_name(in, n),
                     N->unseen ? "; or vigil fence --confirm it if it is off" : "");
    }

    /* Every member must have probed it. */
    for (size_t n = 0; n < cfg->n_nodes && !blocked[0]; n++)
        if (in->nodes[n].online && G->obs[n] == POL_OBS_UNKNOWN)
            snprintf(blocked, sizeof(blocked), "waiting for %s to probe its resources",
                     node_name(in, n));

    /* Asked to be stopped, or halted: stop it everywhere it can be stopped. */
    if (G->halted || !G->target_started) {
        size_t stopping = 0;
        for (size_t i = 0; i < n_current; i++) {
            size_t n = (size_t)current[i];
            if (G->obs[n] == POL_OBS_STOP_FAILED)
                continue; /* being fenced */
            stopping++;
            if (G->obs[n] != POL_OBS_STOPPING)
                emit(p, POL_STOP, g, n, "group %s is %s", gname,
                     G->halted ? "halted" : "stopped by an admin");
        }
        if (G->halted) {
            o->state = POL_ST_HALTED;
            why(o, "halted after a failure: vigil cleanup %s or vigil group start %s", gname,
                gname);
        } else if (blocked[0] && !stopping) {
            o->state = POL_ST_BLOCKED;
            why(o, "%s", blocked);
        } else {
            o->state = n_current ? POL_ST_STOPPING : POL_ST_STOPPED;
        }
        return;
    }

    if (blocked[0]) {
        o->state = POL_ST_BLOCKED;
        why(o, "%s", blocked);
        return;
    }

    /* Running on several nodes: keep one (pick_keeper), stop the others. */
    if (n_current > 1) {
        o->multi_active = true;
        int keep = pick_keeper(in, g, current, n_current);
        why(o, "active on %zu nodes: ", n_current);
        for (size_t i = 0; i < n_current; i++) {
            size_t n = (size_t)current[i];
            why_add(o, "%s (%s)", node_name(in, n), pol_obs_name(G->obs[n]));
            if ((int)n != keep && G->obs[n] != POL_OBS_STOPPING)
                emit(p, POL_STOP, g, n, "group %s is active on %zu nodes", gname, n_current);
        }
        o->state = POL_ST_STOPPING;
        o->node = keep;
        return;
    }

    if (n_current == 1) {
        size_t x = (size_t)current[0];
        enum pol_obs ox = G->obs[x];
        if (ox == POL_OBS_STARTING) {
            o->state = POL_ST_STARTING;
            o->node = (int)x;
            return;
        }
        if (ox == POL_OBS_STOPPING) {
            o->state = POL_ST_STOPPING;
            o->node = (int)x;
            return;
        }
        /* Where should it be? */
        bool x_ok = eligible(in, g, x);
        bool prefer_ok = G->prefer >= 0 && eligible(in, g, (size_t)G->prefer);
        int target;
        if (!x_ok)
            target = choose(in, g, (int)x, true, p->load, -1);
        else if (prefer_ok)
            target = G->prefer;
        else if (cfg->groups[g].failback == CFG_FAILBACK_AUTO)
            target = choose(in, g, -1, true, p->load, (int)x);
        else
            target = (int)x;
        if (prefer_lost(in, g) && cfg->groups[g].failback == CFG_FAILBACK_CONTROLLED)
            o->drop_prefer = true;

        if (target == (int)x) {
            o->node = (int)x;
            if (ox == POL_OBS_RUNNING) {
                o->state = POL_ST_RUNNING;
            } else if (ox == POL_OBS_FAILED && G->backing_off && G->backing_off[x]) {
                /* Restart in place, not due yet (the caller replans when it is). */
                o->state = POL_ST_RECOVERING;
                why(o, "restarting on %s in back-off", node_name(in, x));
            } else {
                /* partial (complete it) or failed (restart in place) */
                emit(p, POL_START, g, x, "%s group %s",
                     ox == POL_OBS_FAILED ? "restart" : "complete", gname);
                o->state = ox == POL_OBS_FAILED ? POL_ST_RECOVERING : POL_ST_STARTING;
            }
            return;
        }
        /* Move it (or just stop it when nothing can take it). */
        const char *cause = !x_ok ? ineligible(in, g, x) : "failback";
        if (!x_ok && ox == POL_OBS_FAILED)
            cause = "failed there beyond its restart budget";
        if (target >= 0) {
            emit(p, POL_STOP, g, x, "move group %s from %s to %s (%s: %s)", gname, node_name(in, x),
                 node_name(in, (size_t)target), node_name(in, x),
                 G->prefer == target && x_ok ? "moved by an admin" : cause);
            o->state = POL_ST_MOVING;
            o->node = target;
            why(o, "moving from %s to %s", node_name(in, x), node_name(in, (size_t)target));
            p->load[x] -= p->load[x] > 0;
            p->load[target]++;
        } else {
            emit(p, POL_STOP, g, x, "stop group %s on %s (%s) and no other node can run it", gname,
                 node_name(in, x), cause);
            o->state = POL_ST_FAILED;
            explain_none(in, g, o);
            p->load[x] -= p->load[x] > 0;
        }
        return;
    }

    /* Not running anywhere: start it. */
    int target = choose(in, g, -1, true, p->load, -1);
    if (prefer_lost(in, g) && cfg->groups[g].failback == CFG_FAILBACK_CONTROLLED)
        o->drop_prefer = true;
    if (target < 0) {
        o->state = POL_ST_FAILED;
        explain_none(in, g, o);
        return;
    }
    emit(p, POL_START, g, (size_t)target, "start group %s on %s", gname,
         node_name(in, (size_t)target));
    o->state = POL_ST_STARTING;
    o->node = target;
    p->load[target]++;
}

void policy_plan(const struct pol_input *in, struct pol_output *out)
{
    const struct cfg *cfg = in->cfg;
    out->groups = xcalloc(cfg->n_groups ? cfg->n_groups : 1, sizeof(*out->groups));
    out->n_actions = 0;
    if (!in->quorate) {
        for (size_t g = 0; g < cfg->n_groups; g++) {
            out->groups[g].state = POL_ST_NO_QUORUM;
            out->groups[g].node = -1;
            for (size_t n = 0; n < cfg->n_nodes; n++)
                if (in->nodes[n].online && pol_obs_active(in->groups[g].obs[n]))
                    out->groups[g].node = (int)n;
            why(&out->groups[g], "this partition has no quorum");
        }
        return;
    }
    struct plan p = {.in = in, .out = out};
    p.load = xcalloc(cfg->n_nodes ? cfg->n_nodes : 1, sizeof(*p.load));
    for (size_t g = 0; g < cfg->n_groups; g++)
        for (size_t n = 0; n < cfg->n_nodes; n++)
            if (in->nodes[n].online && pol_obs_active(in->groups[g].obs[n]))
                p.load[n]++;
    for (size_t g = 0; g < cfg->n_groups; g++)
        plan_group(&p, g);
    size_t total = 0;
    for (int t = 0; t < POL_ACTION_MAX; t++)
        total += p.n_by_type[t];
    xgrow((void **)&out->actions, &out->cap, total ? total : 1, sizeof(struct pol_action));
    for (int t = 0; t < POL_ACTION_MAX; t++) {
        if (p.n_by_type[t])
            memcpy(out->actions + out->n_actions, p.by_type[t],
                   p.n_by_type[t] * sizeof(struct pol_action));
        out->n_actions += p.n_by_type[t];
        free(p.by_type[t]);
    }
    free(p.load);
}

void pol_output_clear(struct pol_output *out)
{
    free(out->actions);
    free(out->groups);
    memset(out, 0, sizeof(*out));
}

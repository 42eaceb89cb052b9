/*
 * The per-group decisions of the plan. Groups are planned one by one in
 * dependency order (order.c); each group's actions are staged, then the
 * requires rule may hold some back (relate.c); node choice and capacity are
 * in place.c.
 */
#include "policy/policy_priv.h"
#include "base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool pol_obs_active(enum pol_obs o)
{
    switch (o) {
    case POL_OBS_STARTING:
    case POL_OBS_RUNNING:
    case POL_OBS_STOPPING:
    case POL_OBS_PARTIAL:
    case POL_OBS_FAILED:
    case POL_OBS_STOP_FAILED:
    case POL_OBS_PROMOTING:
    case POL_OBS_PRIMARY:
    case POL_OBS_DEMOTING:
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
    static const char *const names[POL_OBS_MAX] = {
        "unknown", "stopped",     "starting",  "running", "stopping", "partial",
        "failed",  "stop failed", "promoting", "primary", "demoting"};
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
    static const char *const names[POL_ACTION_MAX] = {"stop", "fence", "start", "demote",
                                                      "promote"};
    return (unsigned)t < POL_ACTION_MAX ? names[t] : "invalid";
}

static const char *node_name(const struct pol_input *in, size_t n)
{
    return in->cfg->nodes[n].name;
}

void policy_emit(struct plan *p, enum pol_action_type t, size_t g, size_t n, const char *fmt, ...)
{
    struct pol_action *a = &p->stage[p->n_stage++];
    memset(a, 0, sizeof(*a));
    a->type = t;
    a->group = g;
    a->node = n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
    va_end(ap);
}

void policy_push(struct plan *p, const struct pol_action *a)
{
    enum pol_action_type t = a->type;
    xgrow((void **)&p->by_type[t], &p->cap_by_type[t], p->n_by_type[t] + 1,
          sizeof(struct pol_action));
    p->by_type[t][p->n_by_type[t]++] = *a;
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

void policy_why_add(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 3 >= size)
        return;
    if (len && buf[len - 1] != ' ') {
        memcpy(buf + len, ", ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

void policy_domain(const struct pol_input *in, size_t g, const size_t **ret, size_t *ret_n)
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

bool policy_in_domain(const struct pol_input *in, size_t g, size_t n)
{
    const size_t *d;
    size_t nd;
    policy_domain(in, g, &d, &nd);
    for (size_t i = 0; i < nd; i++)
        if (d[i] == n)
            return true;
    return false;
}

const char *policy_ineligible(const struct pol_input *in, size_t g, size_t n)
{
    const struct pol_node *N = &in->nodes[n];
    const struct pol_group *G = &in->groups[g];
    if (!policy_in_domain(in, g, n))
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
        return "failed there (until its failures expire or cleanup)";
    return NULL;
}

bool policy_is_clone(const struct cfg *cfg, size_t g)
{
    return cfg->groups[g].kind == CFG_KIND_CLONE || cfg->groups[g].kind == CFG_KIND_PROMOTABLE;
}

static bool eligible(const struct pol_input *in, size_t g, size_t n)
{
    return policy_ineligible(in, g, n) == NULL;
}

bool policy_active_on(const struct pol_input *in, size_t g, size_t n)
{
    return in->nodes[n].online && pol_obs_active(in->groups[g].obs[n]);
}

/*
 * The node an admin moved group g to can no longer run it: it failed it, is
 * in standby, was lost (unclean or fenced) or left the domain. A node that is
 * merely offline after a clean shutdown, stopping for one (planned), or not
 * seen yet since start-up (a cluster starting up), keeps the preference: the
 * group goes back there when it returns.
 */
bool policy_prefer_lost(const struct pol_input *in, size_t g)
{
    const struct pol_group *G = &in->groups[g];
    if (G->prefer < 0 || eligible(in, g, (size_t)G->prefer))
        return false;
    const struct pol_node *N = &in->nodes[G->prefer];
    bool away = (!N->online && (N->fence == POL_NODE_CLEAN || N->unseen)) || N->leaving;
    bool spoilt = N->standby || (G->banned && G->banned[G->prefer]) ||
                  !policy_in_domain(in, g, (size_t)G->prefer);
    return !away || spoilt;
}

/* May group g stay on node n: eligible and where its relationships pin it (if they do). */
static bool keepable(const struct pol_input *in, size_t g, int n, int pin)
{
    return eligible(in, g, (size_t)n) && (pin < 0 || n == pin);
}

/* The first of the n_current nodes in current, in domain order, that may keep group g, or -1. */
static int first_current(const struct pol_input *in, size_t g, const int *current, size_t n_current,
                         int pin)
{
    const size_t *d;
    size_t nd;
    policy_domain(in, g, &d, &nd);
    for (size_t i = 0; i < nd; i++)
        for (size_t k = 0; k < n_current; k++)
            if (current[k] == (int)d[i] && keepable(in, g, current[k], pin))
                return current[k];
    return -1;
}

/*
 * Which copy of a group active on several nodes to keep. A copy that runs
 * whole beats a partial one (a node back from a crash with leftovers must not
 * displace the copy that serves); among those, the node it last ran on, then
 * where it should run, then domain order. -1 when no active node may keep it.
 */
static int pick_keeper(const struct plan *p, size_t g, const int *current, size_t n_current,
                       int pin)
{
    const struct pol_input *in = p->in;
    const struct pol_group *G = &in->groups[g];
    int running[CFG_MAX_NODES];
    size_t n_running = 0;
    for (size_t i = 0; i < n_current; i++)
        if (G->obs[current[i]] == POL_OBS_RUNNING && keepable(in, g, current[i], pin))
            running[n_running++] = current[i];
    const int *set = n_running ? running : current;
    size_t n_set = n_running ? n_running : n_current;
    for (size_t i = 0; i < n_set; i++)
        if (set[i] == G->last_owner && keepable(in, g, set[i], pin))
            return set[i];
    struct want w = {
        .exclude = -1, .pin = pin, .use_prefer = true, .current = -1, .no_counts = true};
    int want = place_choose(p, g, &w);
    for (size_t i = 0; i < n_set; i++)
        if (set[i] == want)
            return want;
    return first_current(in, g, set, n_set, pin);
}

void policy_fence_failed(struct plan *p, size_t g, char *blocked, size_t size)
{
    const struct pol_input *in = p->in;
    const struct cfg *cfg = in->cfg;
    const struct pol_group *G = &in->groups[g];
    const char *gname = cfg->groups[g].name;
    blocked[0] = '\0';
    /*
     * A node that failed to stop it, or whose failure asks for fencing: fence
     * it first. Every such member is fenced at once (not only the first: the
     * first may be away, waiting for its return); the why names the first.
     */
    for (size_t n = 0; n < cfg->n_nodes; n++) {
        bool stop_failed = G->obs[n] == POL_OBS_STOP_FAILED;
        bool wants = G->fence_wanted && G->fence_wanted[n] && pol_obs_active(G->obs[n]);
        if (!stop_failed && !wants)
            continue;
        if (in->nodes[n].fence == POL_NODE_FENCED)
            continue;
        const char *what = stop_failed ? "its stop failed" : "a resource failed (on_fail: fence)";
        char msg[192];
        if (!cfg->fence_enabled)
            snprintf(msg, sizeof(msg),
                     "%s on %s and fencing is disabled: make sure it is stopped there, then run "
                     "vigil cleanup %s",
                     what, node_name(in, n), gname);
        else if (in->nodes[n].online || in->nodes[n].fence == POL_NODE_UNCLEAN) {
            if (in->nodes[n].online)
                policy_emit(p, POL_FENCE, g, n, "group %s: %s", gname, what);
            snprintf(msg, sizeof(msg), "%s on %s: waiting for %s to be fenced", what,
                     node_name(in, n), node_name(in, n));
        } else {
            snprintf(msg, sizeof(msg),
                     "%s on %s, which left: waiting for it to return (or vigil fence --confirm "
                     "%s)",
                     what, node_name(in, n), node_name(in, n));
        }
        if (!blocked[0])
            snprintf(blocked, size, "%s", msg);
    }
}

/*
 * What must be waited for before group g may start anywhere, into blocked
 * ("" for nothing). Fences are asked for at once.
 */
static void find_blocked(struct plan *p, size_t g, char *blocked, size_t size)
{
    const struct pol_input *in = p->in;
    const struct cfg *cfg = in->cfg;
    const struct pol_group *G = &in->groups[g];
    policy_fence_failed(p, g, blocked, size);

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
        bool maybe = pol_obs_active(G->obs[n]) ||
                     (G->obs[n] == POL_OBS_UNKNOWN && N->fence == POL_NODE_UNCLEAN &&
                      policy_in_domain(in, g, n));
        if (!maybe)
            continue;
        if (N->fence == POL_NODE_CLEAN)
            snprintf(blocked, size,
                     "%s left while the group was %s there: waiting for it to return",
                     node_name(in, n), pol_obs_name(G->obs[n]));
        else if (!cfg->fence_enabled && cfg->fence_unsafe_recovery)
            continue; /* the admin chose recovery without fencing (logged by the caller) */
        else if (cfg->fence_enabled && N->unseen)
            snprintf(blocked, size,
                     "waiting for %s, not seen since start-up: it may still run something of "
                     "the group; it is fenced unless it joins within fencing.startup_wait",
                     node_name(in, n));
        else if (cfg->fence_enabled)
            snprintf(blocked, size, "waiting for %s to be fenced", node_name(in, n));
        else
            snprintf(blocked, size, "waiting for %s to return (fencing is disabled%s)",
                     node_name(in, n),
                     N->unseen ? "; or vigil fence --confirm it if it is off" : "");
    }

    /* Every member must have probed it. */
    for (size_t n = 0; n < cfg->n_nodes && !blocked[0]; n++)
        if (in->nodes[n].online && G->obs[n] == POL_OBS_UNKNOWN)
            snprintf(blocked, size, "waiting for %s to probe its resources", node_name(in, n));
}

size_t policy_stop_everywhere(struct plan *p, size_t g, const int *current, size_t n_current,
                              bool forget, const char *reason)
{
    const struct pol_group *G = &p->in->groups[g];
    size_t stopping = 0;
    for (size_t i = 0; i < n_current; i++) {
        size_t n = (size_t)current[i];
        if (G->obs[n] == POL_OBS_STOP_FAILED)
            continue;
        stopping++;
        if (G->obs[n] != POL_OBS_STOPPING) {
            policy_emit(p, POL_STOP, g, n, "group %s %s", p->in->cfg->groups[g].name, reason);
            if (forget)
                place_move(p, g, (int)n, -1);
        }
    }
    return stopping;
}

/* Runs on x where it should: nothing to do, or complete it, or restart it after a failure. */
static void settle_in_place(struct plan *p, size_t g, size_t x)
{
    enum pol_obs ox = p->in->groups[g].obs[x];
    struct pol_group_out *o = &p->out->groups[g];
    o->node = (int)x;
    if (ox == POL_OBS_RUNNING) {
        o->state = POL_ST_RUNNING;
        return;
    }
    const struct pol_group *G = &p->in->groups[g];
    if (ox == POL_OBS_FAILED && G->backing_off && G->backing_off[x]) {
        /* Restart in place, not due yet (the caller replans when it is). */
        o->state = POL_ST_RECOVERING;
        why(o, "restarting on %s in back-off", node_name(p->in, x));
        return;
    }
    /* partial (complete it) or failed (restart in place) */
    policy_emit(p, POL_START, g, x, "%s group %s", ox == POL_OBS_FAILED ? "restart" : "complete",
                p->in->cfg->groups[g].name);
    o->state = ox == POL_OBS_FAILED ? POL_ST_RECOVERING : POL_ST_STARTING;
}

/*
 * A group placed by load (round-robin, balanced) is not moved to even the
 * load out while groups that need it run: the move would stop them, which
 * changes the very counts it balanced on, and it would move back.
 */
static bool balancing_held(const struct plan *p, size_t g)
{
    enum cfg_policy pol = p->in->cfg->groups[g].policy;
    return (pol == CFG_POLICY_ROUND_ROBIN || pol == CFG_POLICY_BALANCED) &&
           relate_needed_here(p, g);
}

/* Group g is active on x only. by: the group that decided pin, if pin >= 0. */
static void plan_running(struct plan *p, size_t g, size_t x, int pin, int by)
{
    const struct pol_input *in = p->in;
    const struct cfg *cfg = in->cfg;
    const struct pol_group *G = &in->groups[g];
    const char *gname = cfg->groups[g].name;
    struct pol_group_out *o = &p->out->groups[g];
    enum pol_obs ox = G->obs[x];
    o->node = (int)x;
    if (ox == POL_OBS_STARTING) {
        o->state = POL_ST_STARTING;
        return;
    }
    if (ox == POL_OBS_STOPPING) {
        o->state = POL_ST_STOPPING;
        return;
    }
    /* Where should it be? */
    bool pin_ok = pin < 0 || pin == (int)x;
    bool x_ok = eligible(in, g, x) && pin_ok;
    struct want w = {.exclude = -1, .pin = pin, .use_prefer = true, .current = -1};
    bool prefer_ok = G->prefer >= 0 && place_can_take(p, g, (size_t)G->prefer, &w);
    int target;
    if (!x_ok) {
        w.exclude = (int)x;
        target = place_choose(p, g, &w);
    } else if (prefer_ok) {
        target = G->prefer;
    } else if (cfg->groups[g].failback == CFG_FAILBACK_AUTO && !balancing_held(p, g)) {
        w.current = (int)x;
        target = place_choose(p, g, &w);
    } else {
        target = (int)x;
    }
    if (policy_prefer_lost(in, g) && cfg->groups[g].failback == CFG_FAILBACK_CONTROLLED)
        o->drop_prefer = true;
    if (target == (int)x) {
        settle_in_place(p, g, x);
        return;
    }
    /* It must leave x and no node has room: make some by stopping lower priorities. */
    char room[sizeof(o->why)] = "";
    if (target < 0 && !x_ok) {
        w.exclude = (int)x;
        w.current = -1;
        target = place_preempt(p, g, &w, room, sizeof(room));
    }
    /* Move it (or just stop it when nothing can take it). */
    char pin_cause[96];
    const char *cause = "failback";
    if (!eligible(in, g, x)) {
        cause = ox == POL_OBS_FAILED ? "failed there beyond its restart budget"
                                     : policy_ineligible(in, g, x);
    } else if (!pin_ok) {
        snprintf(pin_cause, sizeof(pin_cause), "group %s runs on %s", cfg->groups[by].name,
                 node_name(in, (size_t)pin));
        cause = pin_cause;
    }
    if (target >= 0) {
        policy_emit(p, POL_STOP, g, x, "move group %s from %s to %s (%s: %s)", gname,
                    node_name(in, x), node_name(in, (size_t)target), node_name(in, x),
                    G->prefer == target && x_ok ? "moved by an admin" : cause);
        o->state = POL_ST_MOVING;
        o->node = target;
        why(o, "moving from %s to %s", node_name(in, x), node_name(in, (size_t)target));
        if (room[0])
            policy_why_add(o->why, sizeof(o->why), "%s", room);
        place_move(p, g, (int)x, target);
        place_reserve(p, g, (size_t)target);
        p->placed[g] = target;
    } else {
        policy_emit(p, POL_STOP, g, x, "stop group %s on %s (%s) and no other node can run it",
                    gname, node_name(in, x), cause);
        o->state = POL_ST_FAILED;
        place_explain_none(p, g, pin, by >= 0 ? cfg->groups[by].name : "", o->why, sizeof(o->why));
        place_move(p, g, (int)x, -1);
    }
}

/* Group g is active nowhere: start it. */
static void plan_start(struct plan *p, size_t g, int pin, int by)
{
    const struct pol_input *in = p->in;
    const struct cfg *cfg = in->cfg;
    struct pol_group_out *o = &p->out->groups[g];
    struct want w = {.exclude = -1, .pin = pin, .use_prefer = true, .current = -1};
    int target = place_choose(p, g, &w);
    if (policy_prefer_lost(in, g) && cfg->groups[g].failback == CFG_FAILBACK_CONTROLLED)
        o->drop_prefer = true;
    if (target < 0) {
        target = place_preempt(p, g, &w, o->why, sizeof(o->why));
        if (target >= 0) {
            o->state = POL_ST_BLOCKED; /* until the groups stopped for it are stopped */
        } else {
            o->state = POL_ST_FAILED;
            place_explain_none(p, g, pin, by >= 0 ? cfg->groups[by].name : "", o->why,
                               sizeof(o->why));
            return;
        }
    } else {
        policy_emit(p, POL_START, g, (size_t)target, "start group %s on %s", cfg->groups[g].name,
                    node_name(in, (size_t)target));
        o->state = POL_ST_STARTING;
    }
    o->node = target;
    place_move(p, g, -1, target);
    place_reserve(p, g, (size_t)target);
    p->placed[g] = target;
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
        if (policy_active_on(in, g, n))
            current[n_current++] = (int)n;
    /* Where it runs, until a decision below says where it will run. */
    o->node = n_current ? current[0] : -1;
    bool clone = policy_is_clone(cfg, g);
    if (clone)
        o->node = clone_primary(in, g);

    if (!G->managed) {
        o->state = POL_ST_UNMANAGED;
        return;
    }
    if (clone) {
        clone_plan(p, g, current, n_current);
        return;
    }

    /* Stops (an admin's, a halt, for a relationship, for room) are never held back by these. */
    char blocked[sizeof(o->why)];
    find_blocked(p, g, blocked, sizeof(blocked));
    /* Where the groups it requires or runs together with let it run. */
    char wait[sizeof(o->why)], stop_why[sizeof(o->why)];
    int by = -1;
    int pin = relate_pin(p, g, wait, stop_why, sizeof(wait), &by);

    /* Asked to be stopped, or halted: stop it everywhere it can be stopped. */
    if (G->halted || !G->target_started) {
        size_t stopping = policy_stop_everywhere(
            p, g, current, n_current, false, G->halted ? "is halted" : "is stopped by an admin");
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

    /* Stopped to make room for a group of higher priority (place_preempt). */
    if (p->evicted_by[g] >= 0) {
        size_t h = (size_t)p->evicted_by[g];
        why(o, "stopped to make room for group %s (priority %d)", cfg->groups[h].name,
            (int)p->prio[h]);
        policy_stop_everywhere(p, g, current, n_current, true, o->why);
        o->state = POL_ST_STOPPING;
        return;
    }

    /* A group it needs does not run (steadily): stop it, then wait. */
    if (pin == PIN_WAIT || pin == PIN_CONFLICT) {
        if (policy_stop_everywhere(p, g, current, n_current, true, stop_why)) {
            o->state = POL_ST_STOPPING;
            why(o, "%s", stop_why);
        } else {
            o->state = POL_ST_BLOCKED;
            why(o, "%s", wait);
            if (blocked[0])
                policy_why_add(o->why, sizeof(o->why), "%s", blocked);
        }
        return;
    }

    if (blocked[0]) {
        /* Copies where its relationships do not let it run are stopped all the same. */
        for (size_t i = 0; pin >= 0 && i < n_current; i++) {
            size_t n = (size_t)current[i];
            if (current[i] != pin && G->obs[n] != POL_OBS_STOPPING &&
                G->obs[n] != POL_OBS_STOP_FAILED)
                policy_emit(p, POL_STOP, g, n, "group %s runs only where group %s runs (%s)", gname,
                            cfg->groups[by].name, node_name(in, (size_t)pin));
        }
        o->state = POL_ST_BLOCKED;
        why(o, "%s", blocked);
        return;
    }

    /* Running on several nodes: keep one (pick_keeper), stop the others. */
    if (n_current > 1) {
        o->multi_active = true;
        int keep = pick_keeper(p, g, current, n_current, pin);
        why(o, "active on %zu nodes: ", n_current);
        for (size_t i = 0; i < n_current; i++) {
            size_t n = (size_t)current[i];
            policy_why_add(o->why, sizeof(o->why), "%s (%s)", node_name(in, n),
                           pol_obs_name(G->obs[n]));
            if ((int)n != keep && G->obs[n] != POL_OBS_STOPPING)
                policy_emit(p, POL_STOP, g, n, "group %s is active on %zu nodes", gname, n_current);
        }
        o->state = POL_ST_STOPPING;
        o->node = keep;
        return;
    }

    if (n_current == 1)
        plan_running(p, g, (size_t)current[0], pin, by);
    else
        plan_start(p, g, pin, by);
}

static void plan_init(struct plan *p, const struct pol_input *in, struct pol_output *out)
{
    const struct cfg *cfg = in->cfg;
    *p = (struct plan){.in = in, .out = out, .nn = cfg->n_nodes, .ng = cfg->n_groups};
    size_t ng = p->ng ? p->ng : 1;
    p->stage = xcalloc(3 * p->nn + 4, sizeof(*p->stage));
    p->planned = xcalloc(ng, sizeof(*p->planned));
    p->steady = xcalloc(ng, sizeof(int));
    p->runs = xcalloc(ng, sizeof(int));
    p->placed = xcalloc(ng, sizeof(int));
    p->evicted_by = xcalloc(ng, sizeof(int));
    p->verb = xcalloc(ng, sizeof(*p->verb));
    for (size_t g = 0; g < p->ng; g++)
        p->steady[g] = p->runs[g] = p->placed[g] = p->evicted_by[g] = -1;
    order_build(p);
    place_init(p);
}

static void plan_free(struct plan *p)
{
    for (int t = 0; t < POL_ACTION_MAX; t++)
        free(p->by_type[t]);
    free(p->stage);
    free(p->planned);
    free(p->steady);
    free(p->runs);
    free(p->placed);
    free(p->evicted_by);
    free(p->verb);
    free(p->order);
    free(p->prio);
    free(p->graph.off);
    free(p->graph.deps);
    free(p->use);
    free(p->occupies);
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
            if (policy_is_clone(cfg, g))
                out->groups[g].node = clone_primary(in, g);
            why(&out->groups[g], "this partition has no quorum");
        }
        return;
    }
    struct plan p;
    plan_init(&p, in, out);
    for (size_t k = 0; k < p.ng; k++) {
        size_t g = p.order[k];
        p.n_stage = 0;
        plan_group(&p, g);
        relate_commit(&p, g);
    }
    size_t total = 0;
    for (int t = 0; t < POL_ACTION_MAX; t++)
        total += p.n_by_type[t];
    xgrow((void **)&out->actions, &out->cap, total ? total : 1, sizeof(struct pol_action));
    for (int t = 0; t < POL_ACTION_MAX; t++) {
        if (p.n_by_type[t])
            memcpy(out->actions + out->n_actions, p.by_type[t],
                   p.n_by_type[t] * sizeof(struct pol_action));
        out->n_actions += p.n_by_type[t];
    }
    plan_free(&p);
}

int policy_next_node(const struct pol_input *in, size_t g, int exclude)
{
    struct plan p;
    plan_init(&p, in, NULL);
    char wait[192], stop[192];
    int by = -1, r = -1;
    int pin = relate_pin(&p, g, wait, stop, sizeof(wait), &by);
    if (policy_is_clone(in->cfg, g)) {
        r = clone_next_node(&p, g, exclude);
    } else if (pin != PIN_WAIT && pin != PIN_CONFLICT) {
        struct want w = {.exclude = exclude, .pin = pin, .use_prefer = false, .current = -1};
        r = place_choose(&p, g, &w);
    }
    plan_free(&p);
    return r;
}

int policy_node_refusal(const struct pol_input *in, size_t g, size_t n, char *buf, size_t size)
{
    struct plan p;
    plan_init(&p, in, NULL);
    char wait[192], stop[192];
    int by = -1, r = -EINVAL;
    const char *node = node_name(in, n);
    const char *no = policy_ineligible(in, g, n);
    int pin = no ? PIN_ANY : relate_pin(&p, g, wait, stop, sizeof(wait), &by);
    if (policy_is_clone(in->cfg, g)) {
        r = clone_node_refusal(&p, g, n, buf, size);
    } else if (no) {
        snprintf(buf, size, "%s %s", node, no);
    } else if (pin == PIN_WAIT) {
        snprintf(buf, size, "it is %s", wait);
    } else if (pin == PIN_CONFLICT) {
        snprintf(buf, size, "%s", wait);
    } else if (pin >= 0 && (size_t)pin != n) {
        snprintf(buf, size, "it must run with group %s, which runs on %s", in->cfg->groups[by].name,
                 node_name(in, (size_t)pin));
    } else if (!place_fits(&p, g, n)) {
        char room[128];
        place_explain_room(&p, g, n, room, sizeof(room));
        snprintf(buf, size, "%s %s", node, room);
    } else {
        int h = relate_apart_on(&p, g, n);
        r = h >= 0;
        if (h >= 0)
            snprintf(buf, size, "group %s, which it is apart from, runs on %s",
                     in->cfg->groups[h].name, node);
        else if (size)
            buf[0] = '\0';
    }
    plan_free(&p);
    return r;
}

void pol_output_clear(struct pol_output *out)
{
    free(out->actions);
    free(out->groups);
    memset(out, 0, sizeof(*out));
}

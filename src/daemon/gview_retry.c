/*
 * When failed groups try again: the back-off of restarts in place and the
 * expiry of bans (restarts.backoff, backoff_max and within).
 *
 * Time. The database holds wall-clock stamps, each from the clock of the node
 * that reported the failure (a failure is always reported by the node it
 * happened on). Members' clocks may disagree, and a wall clock may jump, so
 * waits are not measured by comparing this member's wall clock with another
 * node's stamp. Each member places every restart and ban on its own
 * monotonic clock once, when it learns of it, and measures from there:
 *
 *  - a failure delivered to this member happened "now" (delivery takes
 *    milliseconds), whatever its stamp says;
 *  - one it learns from a database (loaded at start-up, adopted from another
 *    member, carried over a configuration change) happened as long ago as
 *    the wall clocks say, but never less than 0 nor more than the wait at
 *    stake: a skewed clock can shorten a wait (at worst to nothing, as before
 *    back-off existed) or make it start over once, never hold a group back
 *    for longer than one full wait from when this member learned of it;
 *  - a ban of unknown time (a database of an earlier release) happened when
 *    this member first saw it.
 *
 * Every member computes the back-off the same way for status; the
 * coordinator alone acts: it plans when the earliest wait ends (the owner
 * arms a timer from gview_next_wake) and sends the expiry of a ban as a
 * message applied by every member in agreed order (db_apply_expiry), so the
 * database stays the same everywhere.
 */
#include "daemon/gview_priv.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* The monotonic time of a failure stamped ts (0: unknown, now), at most `cap` ago. */
static uint64_t mono_of(const struct gview *gv, uint64_t ts, uint64_t cap)
{
    uint64_t now = gv->mono_ms(), wall = gv->wall_ms();
    uint64_t ago = ts && wall > ts ? wall - ts : 0;
    if (ago > cap)
        ago = cap;
    return now > ago ? now - ago : 0;
}

void gview_retry_update(struct gview *gv)
{
    const struct cfg *cfg = gv->cfg;
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct db_group *D = &gv->db->groups[g];
        for (size_t n = 0; n < n_nodes(gv); n++) {
            struct gnode *x = gview_at(gv, g, n);
            uint64_t ts = db_last_restart_ms(gv->db, g, n);
            if (ts != x->restart_ts) {
                x->restart_ts = ts;
                x->restart_mono = ts ? mono_of(gv, ts, db_restart_delay_ms(gv->db, g, n)) : 0;
            }
            uint64_t bts = D->banned[n] ? D->banned_ms[n] : 0;
            if (D->banned[n] != x->ban_on || bts != x->ban_ts) {
                x->ban_on = D->banned[n];
                x->ban_ts = bts;
                x->ban_mono = x->ban_on ? mono_of(gv, bts, cfg->groups[g].restarts_within_ms) : 0;
                x->expire_sent = false;
            }
        }
    }
}

void gview_retry_delivered(struct gview *gv, size_t g, size_t n, uint64_t ts)
{
    const struct db_group *D = &gv->db->groups[g];
    struct gnode *x = gview_at(gv, g, n);
    uint64_t now = gv->mono_ms();
    if (ts && db_last_restart_ms(gv->db, g, n) == ts) {
        x->restart_ts = ts;
        x->restart_mono = now;
    }
    if (D->banned[n] && D->banned_ms[n] == ts) {
        x->ban_on = true;
        x->ban_ts = ts;
        x->ban_mono = now;
        x->expire_sent = false;
    }
}

/* When group g may restart in place on node n (monotonic), 0 when it may at once. */
static uint64_t restart_due(const struct gview *gv, size_t g, size_t n)
{
    const struct gnode *x = gview_at(gv, g, n);
    uint64_t d = x->restart_ts ? db_restart_delay_ms(gv->db, g, n) : 0;
    return d ? x->restart_mono + d : 0;
}

/* When node n's ban for group g expires (monotonic), 0 when it is not banned. */
static uint64_t ban_due(const struct gview *gv, size_t g, size_t n)
{
    const struct gnode *x = gview_at(gv, g, n);
    return x->ban_on ? x->ban_mono + gv->cfg->groups[g].restarts_within_ms : 0;
}

bool gview_backing_off(const struct gview *gv, size_t g, size_t n, uint64_t now)
{
    return restart_due(gv, g, n) > now;
}

uint64_t gview_next_wake(const struct gview *gv)
{
    uint64_t now = gv->mono_ms(), best = 0;
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++) {
            uint64_t r = gview_at(gv, g, n)->obs == POL_OBS_FAILED ? restart_due(gv, g, n) : 0;
            uint64_t b = ban_due(gv, g, n);
            if (r > now && (!best || r < best))
                best = r;
            if (b > now && (!best || b < best))
                best = b;
        }
    return best;
}

/* Whether every member understands an expiry (an older one would drop it and keep the ban). */
static bool members_take_expiry(struct gview *gv)
{
    for (size_t n = 0; n < n_nodes(gv); n++) {
        const struct node_view *v = &gv->cl->nodes[n];
        if (!v->online || v->protocol >= PEER_PROTO_EXPIRE)
            continue;
        if (v->protocol && !gv->old_peer_logged) {
            gv->old_peer_logged = true;
            log_warn("failures do not expire while %s runs a vigild of protocol %" PRIu32
                     " (expiry needs %d): upgrade it, or vigil cleanup",
                     nname(gv, n), v->protocol, PEER_PROTO_EXPIRE);
        }
        return false; /* not heard yet (its hello comes when it joins), or too old */
    }
    return true;
}

void gview_retry_expire(struct gview *gv)
{
    uint64_t now = gv->mono_ms();
    bool checked = false;
    for (size_t g = 0; g < gv->cfg->n_groups; g++)
        for (size_t n = 0; n < n_nodes(gv); n++) {
            struct gnode *x = gview_at(gv, g, n);
            if (!x->ban_on || x->expire_sent || ban_due(gv, g, n) > now)
                continue;
            if (!checked && !members_take_expiry(gv))
                return;
            checked = true;
            json_t *b = json_pack("{s:s, s:s, s:I}", "group", gv->cfg->groups[g].name, "node",
                                  nname(gv, n), "banned_at", (json_int_t)x->ban_ts);
            int r = gview_send(gv, PEER_G_EXPIRE, b);
            if (r < 0) {
                log_warn("could not send the expiry of group %s's failures on %s: %s",
                         gv->cfg->groups[g].name, nname(gv, n), strerror(-r));
                continue;
            }
            x->expire_sent = true;
        }
}

int gview_deliver_expire(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    int n = gview_get_node(gv, j, "node", err);
    int g = n >= 0 ? gview_get_group(gv, j, err) : -1;
    uint64_t ban_ms;
    if (g < 0 || !gview_get_u64(j, "banned_at", &ban_ms, err))
        return -EINVAL;
    const char *gname = gv->cfg->groups[g].name;
    char buf[32];
    if (!gv->cl->quorate || from != gv->cl->coordinator) {
        log_warn("ignored an expiry of group %s's failures on %s from %s: it is not the "
                 "coordinator",
                 gname, nname(gv, (size_t)n), cluster_node_name(gv->cl, from, buf));
        return 0;
    }
    /* Already lifted (by a cleanup), or banned again since: nothing to do, alike everywhere. */
    if (!db_apply_expiry(gv->db, (size_t)g, (size_t)n, ban_ms, from))
        return 0;
    gview_save_db(gv);
    eventlog_add_group(gv->events, EV_GROUP_FAILURES_EXPIRED, nname(gv, (size_t)n), gname, NULL, -1,
                       "group %s: failures on %s expired; it may run there again", gname,
                       nname(gv, (size_t)n));
    gview_replan(gv);
    return 0;
}

bool gview_next_try(const struct gview *gv, struct gview_plan_in *p, size_t g,
                    const struct pol_group_out *o, uint64_t *ret_in_ms, size_t *ret_node)
{
    uint64_t now = gv->mono_ms();
    if (o->state == POL_ST_RECOVERING && o->node >= 0) {
        uint64_t due = restart_due(gv, g, (size_t)o->node);
        if (due <= now)
            return false;
        *ret_in_ms = due - now;
        *ret_node = (size_t)o->node;
        return true;
    }
    if (o->state != POL_ST_FAILED)
        return false;
    /* Failed: the earliest ban to expire on a node that could then run it (the policy says). */
    struct pol_group *G = &p->groups[g];
    const bool *banned = G->banned;
    bool what_if[CFG_MAX_NODES];
    bool found = false;
    uint64_t best = 0;
    size_t best_node = 0;
    for (size_t n = 0; banned && n < n_nodes(gv) && n < CFG_MAX_NODES; n++) {
        uint64_t due = ban_due(gv, g, n);
        if (!due || (found && due >= best))
            continue;
        memcpy(what_if, banned, n_nodes(gv) * sizeof(bool));
        what_if[n] = false;
        G->banned = what_if;
        bool could = policy_next_node(&p->in, g, -1) == (int)n;
        G->banned = banned;
        if (!could)
            continue;
        found = true;
        best = due;
        best_node = n;
    }
    if (!found)
        return false;
    *ret_in_ms = best > now ? best - now : 0;
    *ret_node = best_node;
    return true;
}

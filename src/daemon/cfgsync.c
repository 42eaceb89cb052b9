#include "daemon/cfgsync.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/cfgstore.h"
#include "daemon/statewrite.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* An apply (every member) or a catch-up (this node only) between its message and activation. */
struct cfgsync_apply {
    bool sync; /* a catch-up: this node only */
    uint64_t version;
    char sha256[SHA256_HEX_LEN + 1];
    char *text;
    struct cfg *next;
    struct cfg_diff diff;
    uint32_t origin;
    uint64_t id;
    bool *ready; /* per node */
    bool local_ready;
    uint64_t deadline_ms; /* monotonic: the origin gives up after this */
};

/* ---- helpers ---- */

static size_t n_nodes(const struct cfgsync *cs)
{
    return cs->cfg->n_nodes;
}

static int local_index(const struct cfgsync *cs)
{
    return cs->cl->local_id ? cluster_node_index(cs->cl, cs->cl->local_id) : -1;
}

static const char *nname(const struct cfgsync *cs, size_t n)
{
    return cs->cfg->nodes[n].name;
}

static int send_msg(struct cfgsync *cs, enum peer_group_kind k, json_t *body)
{
    int r = cs->hooks && cs->hooks->send ? cs->hooks->send(cs->ctx, k, body) : -ENOTCONN;
    json_decref(body);
    return r;
}

static void changed(struct cfgsync *cs)
{
    if (cs->hooks && cs->hooks->changed)
        cs->hooks->changed(cs->ctx);
}

static void apply_free(struct cfgsync_apply *ap)
{
    if (!ap)
        return;
    free(ap->text);
    cfg_free(ap->next);
    cfg_diff_clear(&ap->diff);
    free(ap->ready);
    free(ap);
}

static void done(struct cfgsync *cs, uint64_t id, bool ok, uint64_t version, const char *msg)
{
    if (cs->hooks && cs->hooks->done)
        cs->hooks->done(cs->ctx, id, ok, version, msg);
}

static json_t *ver_body(const struct cfgver *v)
{
    return json_pack("{s:I, s:s, s:b}", "version", (json_int_t)v->version, "sha256", v->sha256,
                     "edited", v->edited);
}

static void send_version(struct cfgsync *cs)
{
    if (cs->cl->local_id && !cs->refused)
        send_msg(cs, PEER_G_CFG_VER, ver_body(&cs->cur));
}

/* ---- writing to disk ---- */

/* A version handed to the writer, and what to do once it is on disk. */
struct cfgsync_written {
    struct cfgsync *cs;
    uint64_t version;
    bool file; /* the configuration file too, not only the record */
    bool ack;  /* acknowledge the apply (else: nothing to announce) */
};

static void version_written(void *arg, int result)
{
    struct cfgsync_written *w = arg;
    struct cfgsync *cs = w->cs;
    if (result == -ECANCELED) { /* cfgsync_done: the write goes on, unreported */
        free(w);
        return;
    }
    if (result < 0)
        log_error("cannot write configuration version %" PRIu64 " to %s: %s", w->version,
                  w->file ? cs->path : cs->state_dir, strerror(-result));
    else
        log_info("configuration version %" PRIu64 " written to %s", w->version,
                 w->file ? cs->path : cs->state_dir);
    if (w->ack) {
        json_t *b = json_pack("{s:I, s:b}", "version", (json_int_t)w->version, "ok", result == 0);
        if (result < 0)
            json_object_set_new(b, "error", json_sprintf("cannot write it: %s", strerror(-result)));
        send_msg(cs, PEER_G_CFG_ACK, b);
    }
    free(w);
}

/*
 * Writes the active version through the serialised writer: the file too
 * when prev (its previous content) is given, then the version's text and
 * its record (cfgstore_files gives the order); acknowledges the apply once
 * all of it, or a newer version, is on disk.
 */
static void write_version(struct cfgsync *cs, const char *prev, bool ack)
{
    struct cfgstore_rec rec = {.version = cs->cur.version, .applied_ms = cs->applied_ms};
    memcpy(rec.sha256, cs->cur.sha256, sizeof(rec.sha256));
    snprintf(rec.from, sizeof(rec.from), "%s", cs->applied_from ? cs->applied_from : "");
    struct cfgstore_files fs;
    cfgstore_files(&fs, prev ? cs->path : NULL, cs->text, prev, cs->state_dir, &rec);
    struct cfgsync_written *w = xcalloc(1, sizeof(*w));
    w->cs = cs;
    w->version = cs->cur.version;
    w->file = prev != NULL;
    w->ack = ack;
    statewrite_submit(cs->sw, fs.f, fs.n, version_written, w);
    cfgstore_files_clear(&fs);
}

/* ---- setup ---- */

int cfgsync_init(struct cfgsync *cs, uv_loop_t *loop, struct cluster *cl, const struct cfg *cfg,
                 const char *path, const char *text, const char *state_dir,
                 const struct cfgsync_hooks *hooks, void *ctx, char **ret_err)
{
    memset(cs, 0, sizeof(*cs));
    cs->loop = loop;
    cs->cl = cl;
    cs->cfg = cfg;
    cs->path = xstrdup(path);
    cs->state_dir = xstrdup(state_dir);
    cs->hooks = hooks;
    cs->ctx = ctx;
    cs->text = xstrdup(text);
    cs->sw = statewrite_new(loop);
    statewrite_set_tidy(cs->sw, cfgstore_prune, state_dir);
    size_t nn = cfg->n_nodes ? cfg->n_nodes : 1;
    cs->peer = xcalloc(nn, sizeof(*cs->peer));
    cs->seen = xcalloc(nn, sizeof(bool));
    cs->sync_sent = xcalloc(nn, sizeof(bool));
    cs->fate = xcalloc(nn, sizeof(*cs->fate));
    cs->await = xcalloc(nn, sizeof(bool));
    sha256_hex(text, strlen(text), cs->cur.sha256);
    struct cfgstore_rec rec;
    int r = cfgstore_load(state_dir, &rec, ret_err);
    if (r == -ENOENT) {
        /* The first run (or the first with versions): this file is version 1. */
        cs->cur.version = 1;
        cs->applied_ms = time_wall_ms();
        write_version(cs, NULL, false);
        return 0;
    }
    if (r < 0)
        return r;
    cs->cur.version = rec.version;
    cs->cur.edited = strcmp(rec.sha256, cs->cur.sha256) != 0;
    cs->applied_ms = rec.applied_ms;
    cs->applied_from = rec.from[0] ? xstrdup(rec.from) : NULL;
    if (cs->cur.edited)
        log_warn("%s was edited by hand since version %" PRIu64 " was applied (sha256 %.12s, now "
                 "%.12s)",
                 path, rec.version, rec.sha256, cs->cur.sha256);
    return 0;
}

void cfgsync_done(struct cfgsync *cs)
{
    if (!cs->path)
        return;
    statewrite_free(cs->sw); /* writes in flight go on; their callbacks never come */
    apply_free(cs->ap);
    free(cs->path);
    free(cs->state_dir);
    free(cs->text);
    free(cs->applied_from);
    free(cs->peer);
    free(cs->seen);
    free(cs->sync_sent);
    json_decref(cs->held_sync);
    free(cs->fate);
    free(cs->await);
    free(cs->await_msg);
    free(cs->await_left);
    memset(cs, 0, sizeof(*cs));
}

/* ---- membership and the decision ---- */

static void abandon(struct cfgsync *cs, const char *why)
{
    struct cfgsync_apply *ap = cs->ap;
    if (!ap)
        return;
    cs->ap = NULL;
    log_warn("configuration version %" PRIu64 " not applied: %s", ap->version, why);
    if (cs->hooks && cs->hooks->abort)
        cs->hooks->abort(cs->ctx);
    if (ap->origin == cs->cl->local_id && !ap->sync)
        done(cs, ap->id, false, ap->version, why);
    apply_free(ap);
    changed(cs);
}

static void evaluate(struct cfgsync *cs);
static void await_settle(struct cfgsync *cs);

/* Members that left no longer hold up the reply to an apply; the reply says so. */
static void forget_left(struct cfgsync *cs)
{
    for (size_t n = 0; n < n_nodes(cs); n++) {
        if (cs->cl->nodes[n].online || !cs->await[n])
            continue;
        cs->await[n] = false;
        char *note = xasprintf("%s%s%s", cs->await_left ? cs->await_left : "",
                               cs->await_left ? ", " : "", nname(cs, n));
        free(cs->await_left);
        cs->await_left = note;
    }
    await_settle(cs);
}

void cfgsync_membership(struct cfgsync *cs)
{
    size_t nn = n_nodes(cs);
    memset(cs->seen, 0, nn * sizeof(bool));
    memset(cs->sync_sent, 0, nn * sizeof(bool));
    cs->decided = false;
    json_decref(cs->held_sync);
    cs->held_sync = NULL;
    if (cs->ap && !cs->ap->sync)
        abandon(cs, "the membership changed before every member was ready; nothing was changed");
    forget_left(cs);
    send_version(cs);
    changed(cs);
}

void cfgsync_engine_lost(struct cfgsync *cs)
{
    memset(cs->seen, 0, n_nodes(cs) * sizeof(bool));
    cs->decided = false;
    json_decref(cs->held_sync);
    cs->held_sync = NULL;
    if (cs->ap && !cs->ap->sync)
        abandon(cs, "the connection to the cluster engine was lost; nothing was changed");
    forget_left(cs); /* the engine's loss took every other member offline */
    changed(cs);
}

void cfgsync_quorum(struct cfgsync *cs)
{
    evaluate(cs);
    changed(cs);
}

static bool all_seen(const struct cfgsync *cs)
{
    int self = local_index(cs);
    if (self < 0 || !cs->cl->nodes[self].online)
        return false; /* not in a view yet: nothing is known */
    for (size_t n = 0; n < n_nodes(cs); n++)
        if (cs->cl->nodes[n].online && !cs->seen[n])
            return false;
    return true;
}

static void send_sync(struct cfgsync *cs)
{
    json_t *names = json_array();
    for (size_t n = 0; n < n_nodes(cs); n++) {
        if (cs->fate[n] != CFGSYNC_BEHIND || cs->sync_sent[n])
            continue;
        cs->sync_sent[n] = true;
        json_array_append_new(names, json_string(nname(cs, n)));
    }
    if (!json_array_size(names)) {
        json_decref(names);
        return;
    }
    json_t *b = json_pack("{s:s, s:I, s:s, s:s, s:o}", "mode", "sync", "version",
                          (json_int_t)cs->cur.version, "sha256", cs->cur.sha256, "text", cs->text,
                          "for", names);
    send_msg(cs, PEER_G_CONFIG, b);
}

static void refuse(struct cfgsync *cs, const char *msg)
{
    if (cs->refused)
        return;
    cs->refused = true;
    if (cs->hooks && cs->hooks->refused)
        cs->hooks->refused(cs->ctx, msg);
}

static int deliver_config(struct cfgsync *cs, uint32_t from, json_t *j, char **err);

/* The holder's configuration that came before this node decided: taken now, if still wanted. */
static void take_held_sync(struct cfgsync *cs)
{
    json_t *j = cs->held_sync;
    if (!j)
        return;
    cs->held_sync = NULL;
    char *err = NULL;
    if (deliver_config(cs, cs->held_from, j, &err) < 0)
        log_warn("a kept configuration from the cluster was not taken: %s", err);
    free(err);
    json_decref(j);
}

/* Every member's version is known: decide, the same way on every member. */
static void evaluate(struct cfgsync *cs)
{
    if (cs->decided || !cs->cl->quorate || !all_seen(cs) || cs->refused)
        return;
    size_t nn = n_nodes(cs), holder;
    struct cfgver adopted;
    cfgsync_decide(cs->peer, cs->seen, nn, &adopted, &holder, cs->fate);
    cs->decided = true;
    cs->adopted = adopted;
    cs->holder = holder;
    int self = local_index(cs);
    char a[64], b[64];
    for (size_t n = 0; n < nn; n++) {
        if (!cs->seen[n] || cs->fate[n] == CFGSYNC_SAME)
            continue;
        if (cs->fate[n] == CFGSYNC_BEHIND) {
            log_info("%s has configuration %s; the cluster runs %s: %s sends it", nname(cs, n),
                     cfgver_describe(&cs->peer[n], a), cfgver_describe(&adopted, b),
                     nname(cs, holder));
            continue;
        }
        eventlog_add(cs->cl->events, EV_CONFIG_MISMATCH, nname(cs, n), NULL,
                     "%s refused: its configuration is %s but the cluster runs %s from %s",
                     nname(cs, n), cfgver_describe(&cs->peer[n], a), cfgver_describe(&adopted, b),
                     nname(cs, holder));
    }
    if (self < 0)
        return;
    if (cs->fate[self] == CFGSYNC_REFUSED) {
        _cleanup_free_ char *msg = xasprintf(
            "this node's %s is %s, but the cluster runs %s (held by %s). A file edited by hand "
            "is never taken over silently: apply the change from a member with `vigil config "
            "apply`, or restore the file (vigil config show on %s prints the cluster's), then "
            "start vigild again",
            cs->path, cfgver_describe(&cs->cur, a), cfgver_describe(&adopted, b), nname(cs, holder),
            nname(cs, holder));
        refuse(cs, msg);
        return;
    }
    if (cs->fate[self] == CFGSYNC_SAME && cs->cur.version != adopted.version) {
        /* The same content under the cluster's number (or a hand edit every member shares). */
        log_info("configuration %s is now %s", cfgver_describe(&cs->cur, a),
                 cfgver_describe(&adopted, b));
        cs->cur = adopted;
        cs->applied_ms = time_wall_ms();
        free(cs->applied_from);
        cs->applied_from = xstrdup(nname(cs, holder));
        write_version(cs, NULL, false);
        cs->peer[self] = cs->cur;
    } else if (cs->fate[self] == CFGSYNC_SAME && cs->cur.edited) {
        cs->cur.edited = false;
        write_version(cs, NULL, false);
    }
    if ((size_t)self == holder)
        send_sync(cs);
    take_held_sync(cs);
}

bool cfgsync_blocked(const struct cfgsync *cs)
{
    if (cs->ap || cs->refused || !all_seen(cs))
        return true;
    for (size_t n = 0; n < n_nodes(cs); n++)
        if (cs->cl->nodes[n].online && strcmp(cs->peer[n].sha256, cs->cur.sha256) != 0)
            return true;
    return false;
}

/* ---- checking and applying ---- */

int cfgsync_check(const struct cfgsync *cs, const char *text, const char *name, unsigned flags,
                  struct cfg_diags *diags, struct cfg **ret_cfg, struct cfg_diff *ret_diff,
                  char **ret_err)
{
    struct cfg *next = NULL;
    int r = cfg_load_string(text, strlen(text), name, flags, &next, diags);
    if (r < 0)
        return r;
    struct cfg_diff d;
    cfg_diff(cs->cfg, next, &d);
    if (d.n_core) {
        char list[256] = "";
        for (size_t i = 0; i < d.n_core; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                     d.core[i]);
        *ret_err = xasprintf(
            "%s changes %s, which cannot change while the cluster runs: stop vigild on every node, "
            "put the same file on every node, then start them again",
            name, list);
        cfg_diff_clear(&d);
        cfg_free(next);
        return -EPERM;
    }
    *ret_cfg = next;
    *ret_diff = d;
    return 0;
}

uint64_t cfgsync_apply(struct cfgsync *cs, const char *text, char **ret_err)
{
    if (strlen(text) > CFGSYNC_MAX_TEXT) {
        *ret_err = xasprintf("the configuration is %zu bytes; at most %u can be replicated",
                             strlen(text), CFGSYNC_MAX_TEXT);
        return 0;
    }
    if (!cs->cl->quorate) {
        *ret_err = xstrdup("this node's partition has no quorum: nothing can be applied");
        return 0;
    }
    if (cs->ap || cs->await_id) {
        *ret_err = xstrdup("another configuration change is under way; try again when it is over");
        return 0;
    }
    if (cfgsync_blocked(cs)) {
        *ret_err = xstrdup("the members' configurations are being brought to the same version; "
                           "try again in a moment");
        return 0;
    }
    char hash[SHA256_HEX_LEN + 1];
    sha256_hex(text, strlen(text), hash);
    uint64_t id = ++cs->next_id;
    json_t *b = json_pack("{s:s, s:I, s:s, s:s, s:I}", "mode", "apply", "version",
                          (json_int_t)(cs->cur.version + 1), "sha256", hash, "text", text, "id",
                          (json_int_t)id);
    int r = send_msg(cs, PEER_G_CONFIG, b);
    if (r < 0) {
        *ret_err = xasprintf("cannot send the configuration to the cluster: %s", strerror(-r));
        return 0;
    }
    return id;
}

/* The slowest stop among the groups a diff stops, for the ready deadline. */
static uint64_t stop_budget_ms(const struct cfg *old, const struct cfg_diff *d)
{
    uint64_t total = 0;
    for (size_t i = 0; i < d->n_groups; i++) {
        const struct cfg_group_diff *gd = &d->groups[i];
        if (gd->change != CFG_CHANGE_REMOVED && gd->change != CFG_CHANGE_MODIFIED)
            continue;
        const struct cfg_group *g = &old->groups[gd->old_index];
        uint64_t sum = 0;
        for (size_t r = 0; r < g->n_resources; r++)
            sum += g->resources[r].stop_timeout_ms ? g->resources[r].stop_timeout_ms : 20000;
        if (sum > total)
            total = sum;
    }
    return total;
}

static int get_version(json_t *j, uint64_t *ret, char **err)
{
    json_t *v = json_object_get(j, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        *err = xstrdup("'version' must be a positive integer");
        return -EINVAL;
    }
    *ret = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_hash(json_t *j, char out[SHA256_HEX_LEN + 1], char **err)
{
    const char *h = json_string_value(json_object_get(j, "sha256"));
    if (!h || strlen(h) != SHA256_HEX_LEN || strspn(h, "0123456789abcdef") != SHA256_HEX_LEN) {
        *err = xstrdup("'sha256' must be 64 lowercase hex digits");
        return -EINVAL;
    }
    memcpy(out, h, SHA256_HEX_LEN + 1);
    return 0;
}

/* Ready (or not) for the apply origin sent with id; readiness names the apply it is for. */
static void send_ready(struct cfgsync *cs, uint64_t version, uint32_t origin, uint64_t id, bool ok,
                       const char *error)
{
    json_t *b = json_pack("{s:I, s:I, s:I, s:b}", "version", (json_int_t)version, "origin",
                          (json_int_t)origin, "id", (json_int_t)id, "ok", ok);
    if (error)
        json_object_set_new(b, "error", json_string(error));
    send_msg(cs, PEER_G_CFG_READY, b);
}

static void activate(struct cfgsync *cs, uint32_t from_id)
{
    struct cfgsync_apply *ap = cs->ap;
    cs->ap = NULL;
    char prevb[64], nextb[64];
    struct cfgver prev = cs->cur;
    _cleanup_free_ char *prev_text = cs->text;
    cs->text = ap->text;
    ap->text = NULL;
    cs->cur.version = ap->version;
    memcpy(cs->cur.sha256, ap->sha256, sizeof(cs->cur.sha256));
    cs->cur.edited = false;
    cs->applied_ms = time_wall_ms();
    free(cs->applied_from);
    char buf[32];
    cs->applied_from = xstrdup(cluster_node_name(cs->cl, from_id, buf));
    int self = local_index(cs);
    if (self >= 0)
        cs->peer[self] = cs->cur;
    for (size_t n = 0; !ap->sync && n < n_nodes(cs); n++)
        if (ap->ready[n]) /* every member activates it at this same point */
            cs->peer[n] = cs->cur;
    /* Names in the diff belong to both configurations: describe it before the swap. */
    char what[512] = "";
    for (size_t i = 0; i < ap->diff.n_groups; i++) {
        const struct cfg_group_diff *gd = &ap->diff.groups[i];
        if (gd->change != CFG_CHANGE_NONE && strlen(what) < sizeof(what) - 80)
            snprintf(what + strlen(what), sizeof(what) - strlen(what), "%sgroup %s %s",
                     *what ? ", " : "", gd->name, cfg_change_name(gd->change));
    }
    if (!*what)
        snprintf(what, sizeof(what), "no group changed");
    struct cfg *next = ap->next;
    ap->next = NULL;
    cfgver_describe(&prev, prevb);
    cfgver_describe(&cs->cur, nextb);
    if (cs->hooks && cs->hooks->activate)
        cs->hooks->activate(cs->ctx, next, &ap->diff);
    eventlog_add(cs->cl->events, EV_CONFIG_CHANGED, NULL, NULL, "configuration %s %s (was %s): %s",
                 nextb, ap->sync ? "taken over from the cluster" : "applied", prevb, what);
    write_version(cs, prev_text, !ap->sync);
    if (ap->sync) {
        /* Tell the others; they were waiting for this node. */
        cs->decided = false;
        memset(cs->sync_sent, 0, n_nodes(cs) * sizeof(bool));
        send_version(cs);
    }
    apply_free(ap);
    changed(cs);
}

static bool all_ready(const struct cfgsync *cs)
{
    for (size_t n = 0; n < n_nodes(cs); n++)
        if (cs->cl->nodes[n].online && !cs->ap->ready[n])
            return false;
    return true;
}

void cfgsync_local_ready(struct cfgsync *cs, bool ok, const char *error)
{
    struct cfgsync_apply *ap = cs->ap;
    if (!ap || ap->local_ready)
        return;
    ap->local_ready = true;
    if (ap->sync) {
        if (ok) {
            activate(cs, ap->origin);
        } else {
            _cleanup_free_ char *msg = xasprintf(
                "this node cannot take over the cluster's configuration version %" PRIu64 ": %s",
                ap->version, error ? error : "a group could not be stopped");
            abandon(cs, msg);
            refuse(cs, msg);
        }
        return;
    }
    send_ready(cs, ap->version, ap->origin, ap->id, ok, error);
}

static void start_apply(struct cfgsync *cs, uint32_t from, bool sync, uint64_t version,
                        const char *hash, const char *text, uint64_t id)
{
    struct cfg_diags diags;
    cfg_diags_init(&diags);
    struct cfg *next = NULL;
    struct cfg_diff diff;
    _cleanup_free_ char *err = NULL;
    char buf[32];
    _cleanup_free_ char *name =
        xasprintf("version %" PRIu64 " from %s", version, cluster_node_name(cs->cl, from, buf));
    int r = cfgsync_check(cs, text, name, 0, &diags, &next, &diff, &err);
    if (r < 0) {
        if (r == -EINVAL && diags.n)
            err = cfg_diag_format(&diags.v[0]);
        cfg_diags_clear(&diags);
        log_error("cannot take configuration %s: %s", name, err ? err : "invalid");
        if (sync) {
            _cleanup_free_ char *msg =
                xasprintf("this node cannot load the cluster's configuration %s: %s", name,
                          err ? err : "invalid");
            refuse(cs, msg);
        } else {
            send_ready(cs, version, from, id, false, err ? err : "invalid");
        }
        return;
    }
    cfg_diags_clear(&diags);
    struct cfgsync_apply *ap = xcalloc(1, sizeof(*ap));
    ap->sync = sync;
    ap->version = version;
    memcpy(ap->sha256, hash, SHA256_HEX_LEN + 1);
    ap->text = xstrdup(text);
    ap->next = next;
    ap->diff = diff;
    ap->origin = from;
    ap->id = id;
    ap->ready = xcalloc(n_nodes(cs) ? n_nodes(cs) : 1, sizeof(bool));
    ap->deadline_ms = time_mono_ms() + CFGSYNC_READY_MARGIN_MS + stop_budget_ms(cs->cfg, &diff);
    cs->ap = ap;
    char a[64];
    log_info("configuration %s: preparing (this node runs %s)", name, cfgver_describe(&cs->cur, a));
    changed(cs);
    if (cs->hooks && cs->hooks->prepare)
        cs->hooks->prepare(cs->ctx, ap->next, &ap->diff);
}

static int deliver_config(struct cfgsync *cs, uint32_t from, json_t *j, char **err)
{
    uint64_t version;
    char hash[SHA256_HEX_LEN + 1];
    const char *mode = json_string_value(json_object_get(j, "mode"));
    const char *text = json_string_value(json_object_get(j, "text"));
    if (get_version(j, &version, err) < 0 || get_hash(j, hash, err) < 0)
        return -EINVAL;
    if (!mode || (strcmp(mode, "apply") != 0 && strcmp(mode, "sync") != 0))
        return *err = xstrdup("'mode' must be \"apply\" or \"sync\""), -EINVAL;
    if (!text || strlen(text) != json_string_length(json_object_get(j, "text")) ||
        strlen(text) > CFGSYNC_MAX_TEXT)
        return *err = xasprintf("'text' must be a string of at most %u bytes", CFGSYNC_MAX_TEXT),
               -EINVAL;
    char got[SHA256_HEX_LEN + 1];
    sha256_hex(text, strlen(text), got);
    if (strcmp(got, hash) != 0)
        return *err = xasprintf("the text's sha256 is %.12s, not %.12s as announced", got, hash),
               -EINVAL;
    int self = local_index(cs);
    if (strcmp(mode, "sync") == 0) {
        json_t *names = json_object_get(j, "for");
        if (!json_is_array(names))
            return *err = xstrdup("'for' must be a list of node names"), -EINVAL;
        bool mine = false;
        size_t i;
        json_t *v;
        json_array_foreach(names, i, v)
        {
            mine |= self >= 0 && json_is_string(v) &&
                    strcmp(json_string_value(v), nname(cs, (size_t)self)) == 0;
        }
        if (!mine || cs->refused || cs->ap || strcmp(hash, cs->cur.sha256) == 0)
            return 0;
        if (!cs->decided) {
            /* Taken once this node has decided (evaluate), if it is what it needs. */
            json_decref(cs->held_sync);
            cs->held_sync = json_incref(j);
            cs->held_from = from;
            return 0;
        }
        /* Only what this node decided it needs: from the holder, the adopted version. */
        if (self < 0 || cs->fate[self] != CFGSYNC_BEHIND || from != cs->cfg->nodes[cs->holder].id ||
            version != cs->adopted.version || strcmp(hash, cs->adopted.sha256) != 0)
            return 0;
        start_apply(cs, from, true, version, hash, text, 0);
        return 0;
    }
    json_t *jid = json_object_get(j, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) < 1)
        return *err = xstrdup("'id' must be a positive integer"), -EINVAL;
    uint64_t id = (uint64_t)json_integer_value(jid);
    /* Checked by every member alike: one change at a time, from the version all run. */
    const char *why = NULL;
    if (cs->ap)
        why = "another configuration change is under way";
    else if (version != cs->cur.version + 1)
        why = "it was made against another version than this member runs";
    else if (cs->refused)
        why = "this member is leaving";
    if (why) {
        char buf[32];
        log_warn("configuration version %" PRIu64 " from %s not taken: %s", version,
                 cluster_node_name(cs->cl, from, buf), why);
        if (from == cs->cl->local_id)
            done(cs, id, false, version, why);
        else if (!cs->ap) /* under way, the other change's members must not read this as theirs */
            send_ready(cs, version, from, id, false, why);
        return 0;
    }
    start_apply(cs, from, false, version, hash, text, id);
    return 0;
}

static int deliver_ready(struct cfgsync *cs, uint32_t from, json_t *j, char **err)
{
    uint64_t version;
    if (get_version(j, &version, err) < 0)
        return -EINVAL;
    json_t *ok = json_object_get(j, "ok");
    if (!json_is_boolean(ok))
        return *err = xstrdup("'ok' must be true or false"), -EINVAL;
    int n = cluster_node_index(cs->cl, from);
    struct cfgsync_apply *ap = cs->ap;
    json_t *jo = json_object_get(j, "origin"), *ji = json_object_get(j, "id");
    if ((jo && !json_is_integer(jo)) || (ji && !json_is_integer(ji)))
        return *err = xstrdup("'origin' and 'id' must be integers"), -EINVAL;
    if (n < 0 || !ap || ap->sync || ap->version != version)
        return 0; /* about an apply already over */
    if ((jo && (uint64_t)json_integer_value(jo) != ap->origin) ||
        (ji && (uint64_t)json_integer_value(ji) != ap->id))
        return 0; /* about another apply of the same version, refused */
    if (!json_is_true(ok)) {
        const char *e = json_string_value(json_object_get(j, "error"));
        _cleanup_free_ char *why =
            xasprintf("%s could not take it: %.300s", nname(cs, (size_t)n), e ? e : "no reason");
        abandon(cs, why);
        return 0;
    }
    ap->ready[n] = true;
    if (all_ready(cs)) {
        uint32_t origin = ap->origin;
        if (origin == cs->cl->local_id) {
            /* Wait for every member's acknowledgement of the write. */
            cs->await_id = ap->id;
            cs->await_version = ap->version;
            for (size_t k = 0; k < n_nodes(cs); k++)
                cs->await[k] = cs->cl->nodes[k].online;
            cs->await_failed = false;
            free(cs->await_msg);
            cs->await_msg = NULL;
            cs->await_deadline_ms = time_mono_ms() + CFGSYNC_ACK_TIMEOUT_MS;
        }
        activate(cs, origin);
    }
    return 0;
}

static void await_settle(struct cfgsync *cs)
{
    if (!cs->await_id)
        return;
    for (size_t n = 0; n < n_nodes(cs); n++)
        if (cs->await[n])
            return;
    uint64_t id = cs->await_id;
    cs->await_id = 0;
    _cleanup_free_ char *left = cs->await_left;
    cs->await_left = NULL;
    _cleanup_free_ char *msg =
        left ? xasprintf("written by every member; %s left before confirming (a node takes the "
                         "current version when it joins again)",
                         left)
             : xstrdup("written by every member");
    done(cs, id, !cs->await_failed, cs->await_version, cs->await_failed ? cs->await_msg : msg);
}

static int deliver_ack(struct cfgsync *cs, uint32_t from, json_t *j, char **err)
{
    uint64_t version;
    if (get_version(j, &version, err) < 0)
        return -EINVAL;
    int n = cluster_node_index(cs->cl, from);
    if (n < 0 || !cs->await_id || version != cs->await_version)
        return 0;
    if (!json_is_true(json_object_get(j, "ok")) && !cs->await_failed) {
        const char *e = json_string_value(json_object_get(j, "error"));
        cs->await_failed = true;
        cs->await_msg =
            xasprintf("applied, but %s %.300s", nname(cs, (size_t)n), e ? e : "could not write it");
    }
    cs->await[n] = false;
    await_settle(cs);
    return 0;
}

static int deliver_version(struct cfgsync *cs, uint32_t from, json_t *j, char **err)
{
    struct cfgver v = {0};
    if (get_version(j, &v.version, err) < 0 || get_hash(j, v.sha256, err) < 0)
        return -EINVAL;
    json_t *e = json_object_get(j, "edited");
    if (e && !json_is_boolean(e))
        return *err = xstrdup("'edited' must be true or false"), -EINVAL;
    v.edited = json_is_true(e);
    int n = cluster_node_index(cs->cl, from);
    if (n < 0)
        return *err = xasprintf("a version from unknown node id %" PRIu32, from), -EINVAL;
    cs->peer[n] = v;
    cs->seen[n] = true;
    cs->decided = false;
    evaluate(cs);
    changed(cs);
    return 0;
}

static int deliver_abort(struct cfgsync *cs, uint32_t from, json_t *j, char **err)
{
    uint64_t version;
    if (get_version(j, &version, err) < 0)
        return -EINVAL;
    if (!cs->ap || cs->ap->sync || cs->ap->version != version || cs->ap->origin != from)
        return 0;
    const char *why = json_string_value(json_object_get(j, "reason"));
    abandon(cs, why ? why : "given up by the node applying it");
    return 0;
}

int cfgsync_deliver(struct cfgsync *cs, uint32_t from, enum peer_group_kind kind, json_t *body,
                    char **ret_err)
{
    *ret_err = NULL;
    int r;
    switch (kind) {
    case PEER_G_CONFIG:
        r = deliver_config(cs, from, body, ret_err);
        break;
    case PEER_G_CFG_VER:
        r = deliver_version(cs, from, body, ret_err);
        break;
    case PEER_G_CFG_READY:
        r = deliver_ready(cs, from, body, ret_err);
        break;
    case PEER_G_CFG_ACK:
        r = deliver_ack(cs, from, body, ret_err);
        break;
    case PEER_G_CFG_ABORT:
        r = deliver_abort(cs, from, body, ret_err);
        break;
    default:
        *ret_err = xstrdup("not a configuration message");
        r = -EINVAL;
        break;
    }
    if (r < 0 && !*ret_err)
        *ret_err = xstrdup("malformed message");
    return r;
}

void cfgsync_tick(struct cfgsync *cs, uint64_t now_ms)
{
    struct cfgsync_apply *ap = cs->ap;
    if (ap && !ap->sync && ap->origin == cs->cl->local_id && now_ms >= ap->deadline_ms) {
        ap->deadline_ms = UINT64_MAX; /* sent once */
        _cleanup_free_ char *waiting = xstrdup("");
        for (size_t n = 0; n < n_nodes(cs); n++) {
            if (!cs->cl->nodes[n].online || ap->ready[n])
                continue;
            char *w = xasprintf("%s%s%s", waiting, *waiting ? ", " : "", nname(cs, n));
            free(waiting);
            waiting = w;
        }
        json_t *b = json_pack("{s:I, s:s}", "version", (json_int_t)ap->version, "reason", "");
        json_object_set_new(b, "reason",
                            json_sprintf("%s did not stop the changed groups in time; nothing "
                                         "was changed",
                                         waiting));
        send_msg(cs, PEER_G_CFG_ABORT, b);
    }
    if (cs->await_id && now_ms >= cs->await_deadline_ms) {
        for (size_t n = 0; n < n_nodes(cs); n++) {
            if (!cs->await[n])
                continue;
            cs->await[n] = false;
            if (!cs->await_failed) {
                cs->await_failed = true;
                cs->await_msg =
                    xasprintf("applied, but %s did not confirm writing it in time", nname(cs, n));
            }
        }
        await_settle(cs);
    }
}

/* ---- status ---- */

json_t *cfgsync_node_json(const struct cfgsync *cs, size_t n)
{
    if (n >= n_nodes(cs) || !cs->seen[n])
        return NULL;
    return json_pack("{s:I, s:s, s:b}", "version", (json_int_t)cs->peer[n].version, "sha256",
                     cs->peer[n].sha256, "edited", cs->peer[n].edited);
}

json_t *cfgsync_status_json(const struct cfgsync *cs)
{
    const char *state = cs->refused                          ? "refused"
                        : cs->ap && cs->ap->sync             ? "taking over"
                        : cs->ap                             ? "applying"
                        : !cs->cl->local_id || !all_seen(cs) ? "unknown"
                        : cfgsync_blocked(cs)                ? "members differ"
                                                             : "in sync";
    json_t *j =
        json_pack("{s:I, s:s, s:b, s:s, s:s}", "version", (json_int_t)cs->cur.version, "sha256",
                  cs->cur.sha256, "edited", cs->cur.edited, "file", cs->path, "state", state);
    if (cs->applied_ms)
        json_object_set_new(j, "applied_ms", json_integer((json_int_t)cs->applied_ms));
    if (cs->applied_from)
        json_object_set_new(j, "from", json_string(cs->applied_from));
    return j;
}

/*
 * vigild: the replicated configuration on this node. cfgsync's hooks stop
 * what a change removes or alters before the change is activated, swap the
 * configuration in at activation, and answer `vigil config`.
 */
#include "daemon/vigild.h"

bool prep_affects(const struct vigild *d, size_t g)
{
    return d->prep_keep && d->prep_keep[g] != PREP_UNTOUCHED;
}

static void prep_clear(struct vigild *d)
{
    free(d->prep_keep);
    d->prep_keep = NULL;
}

/* A managed group with something here (running, or an operation under way). */
bool managed_active_here(const struct vigild *d, size_t g)
{
    return d->lrm && d->lrm->groups[g]->managed && lrm_active(d->lrm, g);
}

/* Once every group a configuration change stops is stopped here, this node is ready for it. */
void cs_check_ready(struct vigild *d)
{
    if (!d->prep_keep)
        return;
    for (size_t g = 0; g < d->cfg->n_groups; g++) {
        if (!prep_affects(d, g) || !d->lrm)
            continue;
        if (!lrm_idle(d->lrm, g))
            return;
        if (d->prep_keep[g] > 0 && lrm_obs(d->lrm, g) != POL_OBS_STOP_FAILED) {
            if (!lrm_stopped_from(d->lrm, g, d->prep_keep[g]))
                return;
            continue;
        }
        if (lrm_obs(d->lrm, g) == POL_OBS_STOP_FAILED) {
            _cleanup_free_ char *e =
                xasprintf("group %s could not be stopped on %s", d->cfg->groups[g].name,
                          d->cfg->nodes[d->local_node].name);
            cfgsync_local_ready(&d->cs, false, e);
            return;
        }
        if (pol_obs_active(lrm_obs(d->lrm, g)))
            return;
    }
    cfgsync_local_ready(&d->cs, true, NULL);
}

static void cs_prepare(void *ctx, const struct cfg *next, const struct cfg_diff *diff)
{
    struct vigild *d = ctx;
    prep_clear(d);
    d->prep_keep = xcalloc(d->cfg->n_groups ? d->cfg->n_groups : 1, sizeof(size_t));
    for (size_t g = 0; g < d->cfg->n_groups; g++)
        d->prep_keep[g] = PREP_UNTOUCHED;
    for (size_t i = 0; i < diff->n_groups; i++) {
        const struct cfg_group_diff *gd = &diff->groups[i];
        if (gd->change != CFG_CHANGE_REMOVED && gd->change != CFG_CHANGE_MODIFIED)
            continue;
        size_t g = (size_t)gd->old_index;
        d->prep_keep[g] = gd->change == CFG_CHANGE_MODIFIED ? gd->keep : 0;
        if (!d->lrm || !lrm_active(d->lrm, g))
            continue;
        size_t keep = d->prep_keep[g];
        const struct cfg_group *cg = &d->cfg->groups[g];
        if (keep >= cg->n_resources) {
            log_info("group %s: the new configuration changes none of its resources: it keeps "
                     "running",
                     gd->name);
        } else if (keep > 0) {
            log_info("group %s: stopping it from resource %s on (the new configuration changes "
                     "it); the resources before keep running",
                     gd->name, cg->resources[keep].name);
            lrm_stop_from(d->lrm, g, keep);
        } else {
            log_info("group %s: stopping it on this node: the new configuration %s it", gd->name,
                     gd->change == CFG_CHANGE_REMOVED ? "removes" : "changes");
            lrm_stop(d->lrm, g);
        }
    }
    gv_replan(d);
    cs_check_ready(d);
}

static void cs_abort(void *ctx)
{
    struct vigild *d = ctx;
    prep_clear(d);
    gv_replan(d);
}

/* Frees configurations replaced while a fence operation could still point into them. */
void free_retired(struct vigild *d)
{
    for (size_t n = 0; n < d->cfg->n_nodes; n++)
        if (d->cl.nodes[n].fencing)
            return;
    for (size_t i = 0; i < d->n_retired; i++)
        cfg_free(d->retired[i]);
    d->n_retired = 0;
}

static void cs_activate(void *ctx, struct cfg *next, const struct cfg_diff *diff)
{
    struct vigild *d = ctx;
    struct cfg *old = d->cfg;
    cfg_transplant_unchanged(next, old, diff);
    prep_clear(d);
    placer_free(d->placer);
    d->placer = NULL;
    if (d->lrm)
        lrm_reconfigure(d->lrm, next, diff);
    gview_reconfigure(&d->gv, next, diff);
    d->cfg = next;
    d->cl.cfg = next;
    d->cs.cfg = next;
    _cleanup_free_ char *printed = cfg_print(next);
    d->cl.cfg_hash = peer_hash(printed, strlen(printed));
    if (d->lrm) {
        d->placer = placer_new(d->loop, &d->gv, next->nodes[d->local_node].name);
        gv_db_changed(d);
    }
    hooks_set_cfg(d->hooks, next);
    /* A fence operation under way points into the old fencing section: keep it until done. */
    if (d->n_retired < MAX_RETIRED) {
        d->retired[d->n_retired++] = old;
        free_retired(d);
    } else {
        cfg_free(old);
    }
    gv_rereport(d, SIZE_MAX);
    gv_replan(d);
}

static void cs_refused(void *ctx, const char *msg)
{
    struct vigild *d = ctx;
    log_error("%s", msg);
    if (d->stopping)
        return;
    d->exit_code = EXIT_CONFIG;
    begin_shutdown(d, "configuration refused by the cluster");
}

static void cs_done(void *ctx, uint64_t id, bool ok, uint64_t version, const char *msg)
{
    struct vigild *d = ctx;
    if (ok)
        log_info("configuration version %llu: %s", (unsigned long long)version, msg);
    else
        log_warn("configuration version %llu: %s", (unsigned long long)version, msg);
    for (size_t i = 0; i < d->n_waiters; i++) {
        struct waiter *w = &d->waiters[i];
        if (!w->config || w->intent != id)
            continue;
        json_t *reply =
            ok ? json_pack("{s:b, s:{s:s, s:I, s:s}}", "ok", 1, "result", "message", msg, "version",
                           (json_int_t)version, "sha256", d->cs.cur.sha256)
               : ctl_error("configuration version %llu not applied: %s",
                           (unsigned long long)version, msg);
        control_reply(d->control, w->token, reply);
        free(w->what);
        d->waiters[i] = d->waiters[--d->n_waiters];
        return;
    }
}

static void cs_changed(void *ctx)
{
    gv_replan(ctx);
}

const struct cfgsync_hooks cfgsync_hooks = {
    .send = gv_send,
    .prepare = cs_prepare,
    .activate = cs_activate,
    .abort = cs_abort,
    .refused = cs_refused,
    .done = cs_done,
    .changed = cs_changed,
};

/* {"name", "change", "resources": [...], "runs_on": [...], ...} for each changed group. */
static json_t *diff_json(struct vigild *d, const struct cfg *next, const struct cfg_diff *diff,
                         json_t *breaking)
{
    json_t *groups = json_array();
    for (size_t i = 0; i < diff->n_groups; i++) {
        const struct cfg_group_diff *gd = &diff->groups[i];
        if (gd->change == CFG_CHANGE_NONE)
            continue;
        json_t *res = json_array(), *on = json_array();
        for (size_t r = 0; r < gd->n_res; r++)
            json_array_append_new(res, json_pack("{s:s, s:s}", "name", gd->res[r].name, "change",
                                                 cfg_change_name(gd->res[r].change)));
        for (size_t n = 0; gd->old_index >= 0 && n < d->cfg->n_nodes; n++) {
            if (!pol_obs_active(gview_at(&d->gv, (size_t)gd->old_index, n)->obs))
                continue;
            const char *node = d->cfg->nodes[n].name;
            json_array_append_new(on, json_string(node));
            bool unmanaged = d->gv.db->groups[gd->old_index].unmanaged;
            const struct cfg_group *ng = gd->new_index >= 0 ? &next->groups[gd->new_index] : NULL;
            bool in_domain = false;
            for (size_t k = 0; ng && k < ng->n_domain; k++)
                in_domain |= ng->domain[k] == n;
            if (gd->change == CFG_CHANGE_REMOVED)
                json_array_append_new(
                    breaking,
                    json_sprintf("group %s runs on %s: removing it stops it", gd->name, node));
            else if (!in_domain)
                json_array_append_new(
                    breaking, json_sprintf("group %s runs on %s, which is not in its new domain: "
                                           "it would move",
                                           gd->name, node));
            if (unmanaged)
                json_array_append_new(
                    breaking, json_sprintf("group %s is unmanaged (maintenance) and active on "
                                           "%s: the change would stop it",
                                           gd->name, node));
        }
        /* What a running copy restarts: from the first resource that changes. */
        const struct cfg_group *og = gd->old_index >= 0 ? &d->cfg->groups[gd->old_index] : NULL;
        const char *from = gd->change == CFG_CHANGE_REMOVED   ? NULL
                           : og && gd->keep < og->n_resources ? og->resources[gd->keep].name
                                                              : NULL;
        json_array_append_new(
            groups, json_pack("{s:s, s:s, s:b, s:b, s:o, s:o, s:s?}", "name", gd->name, "change",
                              cfg_change_name(gd->change), "settings", gd->settings, "order",
                              gd->order, "resources", res, "runs_on", on, "restart_from", from));
    }
    json_t *core = json_array();
    for (size_t i = 0; i < diff->n_core; i++)
        json_array_append_new(core, json_string(diff->core[i]));
    return json_pack("{s:o, s:o, s:b, s:b}", "groups", groups, "restart_needed", core, "no_quorum",
                     diff->no_quorum, "hooks", diff->hooks);
}

/*
 * diff (apply false) or apply text: validated as vigil verify would, compared
 * with the running configuration; an apply is sent and answered later.
 */
static json_t *config_change(struct vigild *d, const char *text, const char *name, bool apply,
                             bool force, uint64_t token, bool *ret_defer)
{
    struct cfg_diags diags;
    cfg_diags_init(&diags);
    struct cfg *next = NULL;
    struct cfg_diff diff;
    _cleanup_free_ char *err = NULL;
    int r = cfgsync_check(&d->cs, text, name, CFG_LOAD_CHECK_FILES, &diags, &next, &diff, &err);
    if (r == -EINVAL) {
        _cleanup_free_ char *lines = cfg_diags_text(&diags, CFG_SEV_ERROR);
        cfg_diags_clear(&diags);
        return ctl_error("%s\n%s is not valid; nothing was changed", lines, name);
    }
    _cleanup_free_ char *warnings = cfg_diags_text(&diags, CFG_SEV_WARNING);
    cfg_diags_clear(&diags);
    if (r < 0)
        return ctl_error("%s; nothing was changed", err);
    json_t *breaking = json_array();
    json_t *dj = diff_json(d, next, &diff, breaking);
    bool empty = cfg_diff_empty(&diff);
    cfg_diff_clear(&diff);
    cfg_free(next);
    char hash[SHA256_HEX_LEN + 1];
    sha256_hex(text, strlen(text), hash);
    json_t *result =
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:b}", "version", (json_int_t)d->cs.cur.version,
                  "sha256", d->cs.cur.sha256, "new_sha256", hash, "diff", dj, "breaking", breaking,
                  "warnings", warnings, "changed", !empty);
    if (!apply)
        return json_pack("{s:b, s:o}", "ok", 1, "result", result);
    if (empty) {
        json_object_set_new(result, "message",
                            json_sprintf("no change: version %llu already has this content",
                                         (unsigned long long)d->cs.cur.version));
        return json_pack("{s:b, s:o}", "ok", 1, "result", result);
    }
    if (json_array_size(breaking) && !force) {
        _cleanup_free_ char *list = xstrdup("");
        size_t i;
        json_t *b;
        json_array_foreach(breaking, i, b)
        {
            char *l = xasprintf("%s%s%s", list, *list ? "; " : "", json_string_value(b));
            free(list);
            list = l;
        }
        json_decref(result);
        return ctl_error("not applied: %s. Use --force to apply it anyway", list);
    }
    json_decref(result);
    uint64_t id = cfgsync_apply(&d->cs, text, &err);
    if (!id)
        return ctl_error("%s; nothing was changed", err);
    log_info("an administrator applies a new configuration (%s, sha256 %.12s)", name, hash);
    if (ret_defer) {
        d->waiters = xrealloc(d->waiters, (d->n_waiters + 1) * sizeof(*d->waiters));
        d->waiters[d->n_waiters++] =
            (struct waiter){.intent = id, .token = token, .what = xstrdup(name), .config = true};
        *ret_defer = true;
    }
    return NULL;
}

/* Applies the file vigild runs, as edited in place (vigil config reload, SIGHUP). */
json_t *config_reload(struct vigild *d, bool force, uint64_t token, bool *ret_defer)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_file(d->cfg_path, CFG_MAX_FILE_SIZE, &text, &len);
    if (r < 0)
        return ctl_error("cannot read %s: %s", d->cfg_path, strerror(-r));
    if (strlen(text) != len)
        return ctl_error("%s contains a NUL byte; nothing was changed", d->cfg_path);
    return config_change(d, text, d->cfg_path, true, force, token, ret_defer);
}

static json_t *config_show(struct vigild *d, json_t *req)
{
    json_t *jv = json_object_get(req, "version");
    uint64_t want = jv ? (uint64_t)json_integer_value(jv) : d->cs.cur.version;
    _cleanup_free_ char *text = NULL;
    uint64_t kept[CFGSTORE_KEEP];
    size_t n = cfgstore_list(d->cs.state_dir, kept, CFGSTORE_KEEP);
    json_t *versions = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(versions, json_integer((json_int_t)kept[i]));
    if (want == d->cs.cur.version) {
        text = xstrdup(d->cs.text);
    } else if (cfgstore_read_version(d->cs.state_dir, want, &text) < 0) {
        _cleanup_free_ char *list = xstrdup("");
        for (size_t i = 0; i < n; i++) {
            char *l = xasprintf("%s%s%llu", list, i ? ", " : "", (unsigned long long)kept[i]);
            free(list);
            list = l;
        }
        json_decref(versions);
        return ctl_error("version %llu is not kept on this node (kept: %s)",
                         (unsigned long long)want, *list ? list : "none");
    }
    char hash[SHA256_HEX_LEN + 1];
    sha256_hex(text, strlen(text), hash);
    json_t *st = cfgsync_status_json(&d->cs);
    json_object_set_new(st, "version", json_integer((json_int_t)want));
    json_object_set_new(st, "sha256", json_string(hash));
    json_object_set_new(st, "current", json_boolean(want == d->cs.cur.version));
    json_object_set_new(st, "text", json_string(text));
    json_object_set_new(st, "versions", versions);
    return json_pack("{s:b, s:o}", "ok", 1, "result", st);
}

json_t *control_config(struct vigild *d, json_t *req, uint64_t token, bool *ret_defer)
{
    const char *op = json_string_value(json_object_get(req, "op"));
    bool force = json_is_true(json_object_get(req, "force"));
    if (strcmp(op, "show") == 0)
        return config_show(d, req);
    if (strcmp(op, "reload") == 0)
        return config_reload(d, force, token, ret_defer);
    const char *text = json_string_value(json_object_get(req, "text"));
    const char *name = json_string_value(json_object_get(req, "name"));
    return config_change(d, text, name ? name : "(submitted configuration)",
                         strcmp(op, "apply") == 0, force, token, ret_defer);
}

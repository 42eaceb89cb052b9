/* The `vigil config` requests: see cfgctl.h. */
#include "daemon/cfgctl.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "base/sha256.h"
#include "base/util.h"
#include "config/diff.h"
#include "daemon/cfgstore.h"
#include "daemon/ctl.h"

void cfgctl_init(struct cfgctl *cc, struct cfgsync *cs, const struct gview *gv,
                 const char *cfg_path, replies_send_fn send, void *ctx)
{
    *cc = (struct cfgctl){.cs = cs, .gv = gv, .cfg_path = cfg_path};
    replies_init(&cc->applies, send, ctx);
}

void cfgctl_done(struct cfgctl *cc)
{
    replies_done(&cc->applies);
}

void cfgctl_applied(struct cfgctl *cc, uint64_t id, bool ok, uint64_t version, const char *msg)
{
    if (!replies_find(&cc->applies, id))
        return;
    json_t *reply = ok ? json_pack("{s:b, s:{s:s, s:I, s:s}}", "ok", 1, "result", "message", msg,
                                   "version", (json_int_t)version, "sha256", cc->cs->cur.sha256)
                       : ctl_error("configuration version %llu not applied: %s",
                                   (unsigned long long)version, msg);
    replies_answer(&cc->applies, id, reply);
}

/*
 * {"groups": [{"name", "change", "resources": [...], "runs_on": [...], ...}
 * for each changed group], "restart_needed", and whether quorum.no_quorum,
 * hooks and nodes' capacity change ("no_quorum", "hooks", "capacity").
 */
static json_t *diff_json(struct cfgctl *cc, const struct cfg *next, const struct cfg_diff *diff,
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
        for (size_t n = 0; gd->old_index >= 0 && n < cc->cs->cfg->n_nodes; n++) {
            if (!pol_obs_active(gview_at(cc->gv, (size_t)gd->old_index, n)->obs))
                continue;
            const char *node = cc->cs->cfg->nodes[n].name;
            json_array_append_new(on, json_string(node));
            bool unmanaged = cc->gv->db->groups[gd->old_index].unmanaged;
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
        const struct cfg_group *og =
            gd->old_index >= 0 ? &cc->cs->cfg->groups[gd->old_index] : NULL;
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
    return json_pack("{s:o, s:o, s:b, s:b, s:b}", "groups", groups, "restart_needed", core,
                     "no_quorum", diff->no_quorum, "hooks", diff->hooks, "capacity",
                     diff->capacity);
}

/*
 * diff (apply false) or apply text: validated as vigil verify would, compared
 * with the running configuration; an apply is sent and answered later.
 */
static json_t *config_change(struct cfgctl *cc, const char *text, const char *name, bool apply,
                             bool force, uint64_t token, bool *ret_defer)
{
    struct cfg_diags diags;
    cfg_diags_init(&diags);
    struct cfg *next = NULL;
    struct cfg_diff diff;
    _cleanup_free_ char *err = NULL;
    int r = cfgsync_check(cc->cs, text, name, CFG_LOAD_CHECK_FILES, &diags, &next, &diff, &err);
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
    json_t *dj = diff_json(cc, next, &diff, breaking);
    bool empty = cfg_diff_empty(&diff);
    cfg_diff_clear(&diff);
    cfg_free(next);
    char hash[SHA256_HEX_LEN + 1];
    sha256_hex(text, strlen(text), hash);
    json_t *result =
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:b}", "version", (json_int_t)cc->cs->cur.version,
                  "sha256", cc->cs->cur.sha256, "new_sha256", hash, "diff", dj, "breaking",
                  breaking, "warnings", warnings, "changed", !empty);
    if (!apply)
        return json_pack("{s:b, s:o}", "ok", 1, "result", result);
    if (empty) {
        json_object_set_new(result, "message",
                            json_sprintf("no change: version %llu already has this content",
                                         (unsigned long long)cc->cs->cur.version));
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
    uint64_t id = cfgsync_apply(cc->cs, text, &err);
    if (!id)
        return ctl_error("%s; nothing was changed", err);
    log_info("an administrator applies a new configuration (%s, sha256 %.12s)", name, hash);
    if (ret_defer) {
        replies_add(&cc->applies, id, token, name, 0);
        *ret_defer = true;
    }
    return NULL;
}

/* Applies the file vigild runs, as edited in place (vigil config reload, SIGHUP). */
json_t *cfgctl_reload(struct cfgctl *cc, bool force, uint64_t token, bool *ret_defer)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_file(cc->cfg_path, CFG_MAX_FILE_SIZE, &text, &len);
    if (r < 0)
        return ctl_error("cannot read %s: %s", cc->cfg_path, strerror(-r));
    if (strlen(text) != len)
        return ctl_error("%s contains a NUL byte; nothing was changed", cc->cfg_path);
    return config_change(cc, text, cc->cfg_path, true, force, token, ret_defer);
}

static json_t *config_show(struct cfgctl *cc, json_t *req)
{
    json_t *jv = json_object_get(req, "version");
    uint64_t want = jv ? (uint64_t)json_integer_value(jv) : cc->cs->cur.version;
    _cleanup_free_ char *text = NULL;
    uint64_t kept[CFGSTORE_KEEP];
    size_t n = cfgstore_list(cc->cs->state_dir, kept, CFGSTORE_KEEP);
    json_t *versions = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(versions, json_integer((json_int_t)kept[i]));
    if (want == cc->cs->cur.version) {
        text = xstrdup(cc->cs->text);
    } else if (cfgstore_read_version(cc->cs->state_dir, want, &text) < 0) {
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
    json_t *st = cfgsync_status_json(cc->cs);
    json_object_set_new(st, "version", json_integer((json_int_t)want));
    json_object_set_new(st, "sha256", json_string(hash));
    json_object_set_new(st, "current", json_boolean(want == cc->cs->cur.version));
    json_object_set_new(st, "text", json_string(text));
    json_object_set_new(st, "versions", versions);
    return json_pack("{s:b, s:o}", "ok", 1, "result", st);
}

json_t *cfgctl_request(struct cfgctl *cc, json_t *req, uint64_t token, bool *ret_defer)
{
    const char *op = json_string_value(json_object_get(req, "op"));
    bool force = json_is_true(json_object_get(req, "force"));
    if (strcmp(op, "show") == 0)
        return config_show(cc, req);
    if (strcmp(op, "reload") == 0)
        return cfgctl_reload(cc, force, token, ret_defer);
    const char *text = json_string_value(json_object_get(req, "text"));
    const char *name = json_string_value(json_object_get(req, "name"));
    return config_change(cc, text, name ? name : "(submitted configuration)",
                         strcmp(op, "apply") == 0, force, token, ret_defer);
}

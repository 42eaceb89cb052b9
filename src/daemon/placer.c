#include "daemon/placer.h"
#include "base/log.h"
#include "base/util.h"
#include "exec/run.h"

#include <string.h>

struct slot {
    struct placer *p;
    size_t g;
    struct run *run;
    char *key;     /* the input of the last run (or the one under way) */
    bool answered; /* at least one run finished */
};

struct placer {
    uv_loop_t *loop;
    struct gview *gv;
    char *local;
    struct slot *slots;
};

static const char *fence_name(enum fence_state f)
{
    return fence_state_name(f);
}

/* Where group g is active, or -1. */
static int owner(const struct gview *gv, size_t g)
{
    for (size_t n = 0; n < gv->cfg->n_nodes; n++)
        if (gv->cl->nodes[n].online && pol_obs_active(gview_at(gv, g, n)->obs))
            return (int)n;
    return -1;
}

static char *names(const struct gview *gv, bool (*pick)(const struct gview *, size_t))
{
    size_t len = 0;
    char *s = xstrdup("");
    for (size_t n = 0; n < gv->cfg->n_nodes; n++) {
        if (!pick(gv, n))
            continue;
        char *t = xasprintf("%s%s%s", s, len ? " " : "", gv->cfg->nodes[n].name);
        free(s);
        s = t;
        len = strlen(s);
    }
    return s;
}

static bool is_online(const struct gview *gv, size_t n)
{
    return gv->cl->nodes[n].online;
}

static bool is_standby(const struct gview *gv, size_t n)
{
    return gv->db->standby[n];
}

static char *input_key(const struct gview *gv, size_t g)
{
    _cleanup_free_ char *members = names(gv, is_online);
    _cleanup_free_ char *standby = names(gv, is_standby);
    int o = owner(gv, g);
    char fence[CFG_MAX_NODES + 1] = "";
    for (size_t n = 0; n < gv->cfg->n_nodes && n < CFG_MAX_NODES; n++)
        fence[n] = (char)('0' + gv->cl->nodes[n].fence);
    return xasprintf("%s|%s|%s|%s", members, standby, o >= 0 ? gv->cfg->nodes[o].name : "", fence);
}

static void on_done(const struct run_result *res, void *ctx)
{
    struct slot *s = ctx;
    struct gview *gv = s->p->gv;
    const struct cfg_group *cg = &gv->cfg->groups[s->g];
    s->run = NULL;
    s->answered = true;
    gv->hold[s->g] = false;
    if (!res->exited || res->exit_code != 0) {
        log_warn("group %s: policy script %s %s; keeping the %s domain", cg->name,
                 cg->policy_script, res->reason,
                 gv->have_rt_domain[s->g] ? "previous" : "configured");
        gview_set_domain(gv, s->g, gv->have_rt_domain[s->g] ? gv->rt_domain[s->g] : NULL,
                         gv->n_rt_domain[s->g]);
        return;
    }
    size_t d[CFG_MAX_NODES], n = 0;
    _cleanup_free_ char *out = xstrdup(res->output ? res->output : "");
    char *save = NULL;
    for (char *tok = strtok_r(out, " \t\r\n,", &save); tok;
         tok = strtok_r(NULL, " \t\r\n,", &save)) {
        const struct cfg_node *nd = cfg_node_by_name(gv->cfg, tok);
        if (!nd) {
            log_warn("group %s: policy script printed '%.64s', which is not a node; ignored",
                     cg->name, tok);
            continue;
        }
        size_t idx = (size_t)(nd - gv->cfg->nodes);
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup |= d[i] == idx;
        if (!dup && n < CFG_MAX_NODES)
            d[n++] = idx;
    }
    if (n == 0) {
        log_warn("group %s: policy script %s printed no node; keeping the %s domain", cg->name,
                 cg->policy_script, gv->have_rt_domain[s->g] ? "previous" : "configured");
        gview_set_domain(gv, s->g, gv->have_rt_domain[s->g] ? gv->rt_domain[s->g] : NULL,
                         gv->n_rt_domain[s->g]);
        return;
    }
    char text[512] = "";
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof(text) - len, "%s%s", i ? " " : "", gv->cfg->nodes[d[i]].name);
    }
    log_info("group %s: run-time domain from %s: %s", cg->name, cg->policy_script, text);
    gview_set_domain(gv, s->g, d, n);
}

static void start(struct slot *s, char *key)
{
    struct placer *p = s->p;
    struct gview *gv = p->gv;
    const struct cfg *cfg = gv->cfg;
    const struct cfg_group *cg = &cfg->groups[s->g];
    free(s->key);
    s->key = key;
    _cleanup_free_ char *members = names(gv, is_online);
    _cleanup_free_ char *standby = names(gv, is_standby);
    int o = owner(gv, s->g);
    char domain[512] = "";
    json_t *jd = json_array();
    for (size_t i = 0; i < cg->n_domain; i++) {
        size_t len = strlen(domain);
        snprintf(domain + len, sizeof(domain) - len, "%s%s", i ? " " : "",
                 cfg->nodes[cg->domain[i]].name);
        json_array_append_new(jd, json_string(cfg->nodes[cg->domain[i]].name));
    }
    json_t *nodes = json_object();
    for (size_t n = 0; n < cfg->n_nodes; n++)
        json_object_set_new(nodes, cfg->nodes[n].name,
                            json_pack("{s:b, s:b, s:s}", "online", gv->cl->nodes[n].online,
                                      "standby", gv->db->standby[n], "fence",
                                      fence_name(gv->cl->nodes[n].fence)));
    json_t *in = json_pack("{s:s, s:o, s:o, s:s, s:o}", "group", cg->name, "domain", jd, "owner",
                           o >= 0 ? json_string(cfg->nodes[o].name) : json_null(), "node", p->local,
                           "nodes", nodes);
    char *input = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    char *env[] = {
        xasprintf("VIGIL_GROUP=%s", cg->name),
        xasprintf("VIGIL_DOMAIN=%s", domain),
        xasprintf("VIGIL_OWNER=%s", o >= 0 ? cfg->nodes[o].name : ""),
        xasprintf("VIGIL_MEMBERS=%s", members),
        xasprintf("VIGIL_STANDBY=%s", standby),
        xasprintf("VIGIL_NODE=%s", p->local),
        xstrdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
        NULL,
    };
    char *argv[] = {cg->policy_script, NULL};
    struct run_opts o2 = {.argv = argv,
                          .envp = env,
                          .input = input,
                          .timeout_ms = PLACER_TIMEOUT_MS,
                          .kill_grace_ms = 1000,
                          .discard_stderr = false};
    int r = run_start(p->loop, &o2, on_done, NULL, s, &s->run);
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    free(input);
    if (r < 0) {
        log_warn("group %s: cannot run policy script %s: %s", cg->name, cg->policy_script,
                 strerror(-r));
        s->run = NULL;
        s->answered = true;
        gv->hold[s->g] = false;
    }
}

void placer_update(struct placer *p)
{
    struct gview *gv = p->gv;
    for (size_t g = 0; g < gv->cfg->n_groups; g++) {
        struct slot *s = &p->slots[g];
        if (gv->cfg->groups[g].policy != CFG_POLICY_SCRIPT || s->run)
            continue;
        char *key = input_key(gv, g);
        if (s->key && strcmp(key, s->key) == 0) {
            free(key);
            continue;
        }
        if (!s->answered)
            gv->hold[g] = true;
        start(s, key);
    }
}

struct placer *placer_new(uv_loop_t *loop, struct gview *gv, const char *local_node)
{
    struct placer *p = xcalloc(1, sizeof(*p));
    p->loop = loop;
    p->gv = gv;
    p->local = xstrdup(local_node ? local_node : "");
    p->slots = xcalloc(gv->cfg->n_groups ? gv->cfg->n_groups : 1, sizeof(*p->slots));
    for (size_t g = 0; g < gv->cfg->n_groups; g++) {
        p->slots[g].p = p;
        p->slots[g].g = g;
    }
    return p;
}

void placer_free(struct placer *p)
{
    if (!p)
        return;
    for (size_t g = 0; g < p->gv->cfg->n_groups; g++) {
        run_cancel(p->slots[g].run);
        free(p->slots[g].key);
    }
    free(p->slots);
    free(p->local);
    free(p);
}

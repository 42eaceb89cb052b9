/*
 * Node attributes: changes sent, applied by every member in the agreed
 * order (only in a quorate partition), answered here once applied and
 * saved; and the transient attributes of a node that left, forgotten by a
 * message of the coordinator so that every member forgets them at the same
 * point of the order.
 */
#include "daemon/gview_priv.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/statewrite.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

uint64_t gview_attr_send(struct gview *gv, const struct gview_attr_req *r, char **ret_err)
{
    const char *node = nname(gv, r->node);
    if (!gv->cl->quorate) {
        *ret_err = xasprintf("refused: attribute %s of node %s: this node's partition has no "
                             "quorum; attributes change only in a quorate cluster",
                             r->name, node);
        return 0;
    }
    for (size_t n = 0; n < n_nodes(gv); n++) {
        const struct node_view *v = &gv->cl->nodes[n];
        if (v->online && v->protocol && v->protocol < PEER_PROTO_ATTR) {
            *ret_err = xasprintf("refused: %s runs an older vigild (protocol %" PRIu32
                                 ") that does not know node attributes; upgrade it first",
                                 nname(gv, n), v->protocol);
            return 0;
        }
    }
    char *e = NULL;
    if (db_attr_check_name(r->name, &e) < 0 ||
        (!r->del && db_attr_check_value(r->name, r->value, strlen(r->value), &e) < 0)) {
        *ret_err = xasprintf("node %s: %s", node, e);
        free(e);
        return 0;
    }
    uint64_t id = ++gv->next_attr;
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:I, s:I}", "op", r->del ? "delete" : "set", "node", node,
                  "name", r->name, "origin", (json_int_t)gv->cl->local_id, "id", (json_int_t)id);
    if (!r->del)
        json_object_set_new(j, "value", json_string(r->value));
    if (r->life >= 0)
        json_object_set_new(j, "lifetime",
                            json_string(db_attr_life_name((enum db_attr_life)r->life)));
    int rc = gview_send(gv, PEER_G_ATTR, j);
    if (rc < 0) {
        *ret_err = xasprintf("could not send the request to the cluster: %s", strerror(-rc));
        return 0;
    }
    return id;
}

/* An answer to this node's change id, once the database is saved here. */
struct attr_wait {
    struct gview *gv;
    uint64_t id;
};

static void done(struct gview *gv, uint64_t id, bool ok, const char *msg)
{
    if (gv->hooks && gv->hooks->attr_done)
        gv->hooks->attr_done(gv->ctx, id, ok, msg);
}

static void attr_saved(void *arg, int result)
{
    struct attr_wait *w = arg;
    if (result == -ECANCELED) { /* the view is going away: nobody to answer */
        free(w);
        return;
    }
    if (result < 0) {
        _cleanup_free_ char *msg = xasprintf(
            "applied, but the cluster database could not be saved here: %s", strerror(-result));
        done(w->gv, w->id, false, msg);
    } else {
        done(w->gv, w->id, true, NULL);
    }
    free(w);
}

/* Answers this node's change id once every change before it is on disk here. */
static void answer_saved(struct gview *gv, uint64_t id)
{
    if (gv->sw) {
        struct attr_wait *w = xcalloc(1, sizeof(*w));
        w->gv = gv;
        w->id = id;
        if (statewrite_flush(gv->sw, attr_saved, w) == 0)
            return;
        free(w);
    }
    done(gv, id, true, NULL);
}

/* A set or delete from node `from`. */
static int deliver_change(struct gview *gv, uint32_t from, json_t *j, bool del, char **err)
{
    uint64_t id, origin;
    if (!gview_get_u64(j, "origin", &origin, err) || !gview_get_u64(j, "id", &id, err))
        return -EINVAL;
    if (origin != from)
        return *err = xasprintf("an attribute change of node id %" PRIu64
                                " came from node id %" PRIu32,
                                origin, from),
               -EINVAL;
    int n = gview_get_node(gv, j, "node", err);
    const char *name = n >= 0 ? gview_get_str(j, "name", true, err) : NULL;
    if (!name)
        return -EINVAL;
    const char *value = gview_get_str(j, "value", !del, err);
    const char *life_s = gview_get_str(j, "lifetime", !del, err);
    if (*err)
        return -EINVAL;
    if (del && value)
        return *err = xstrdup("a delete has no 'value'"), -EINVAL;
    int life = life_s ? db_attr_life_parse(life_s) : -1;
    if (life_s && life < 0)
        return *err = xasprintf("unknown lifetime '%.16s'", life_s), -EINVAL;
    char *e = NULL;
    if (db_attr_check_name(name, &e) < 0 ||
        (value && db_attr_check_value(name, value, strlen(value), &e) < 0)) {
        *err = xasprintf("node %s: %s", nname(gv, (size_t)n), e);
        free(e);
        return -EINVAL;
    }
    bool mine = from == gv->cl->local_id;
    if (!gv->cl->quorate) {
        if (mine) {
            _cleanup_free_ char *msg = xasprintf(
                "refused: attribute %s of node %s: the partition lost its quorum before it was "
                "applied",
                name, nname(gv, (size_t)n));
            done(gv, id, false, msg);
        }
        return 0;
    }
    int changed;
    _cleanup_free_ char *why = NULL;
    if (del)
        changed = db_attr_delete(gv->db, (size_t)n, name, life, from);
    else
        changed = db_attr_set(gv->db, (size_t)n, name, value, (enum db_attr_life)life, from, &why);
    if (changed > 0) {
        char buf[32];
        log_debug("attribute %s of node %s %s by %s", name, nname(gv, (size_t)n),
                  del ? "deleted" : "set", cluster_node_name(gv->cl, from, buf));
        gview_save_db(gv);
        gview_replan(gv);
    }
    if (mine && changed < 0)
        done(gv, id, false, why);
    else if (mine)
        answer_saved(gv, id);
    return 0;
}

/* The coordinator's forget of a node's transient attributes. */
static int deliver_forget(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    int n = gview_get_node(gv, j, "node", err);
    uint64_t before;
    if (n < 0 || !gview_get_u64(j, "before", &before, err))
        return -EINVAL;
    char buf[32];
    if (!gv->cl->quorate || from != gv->cl->coordinator) {
        log_warn("ignored a forget of the transient attributes of %s from %s: it is not the "
                 "coordinator",
                 nname(gv, (size_t)n), cluster_node_name(gv->cl, from, buf));
        return 0;
    }
    gv->attr_gone[n] = false;
    if (db_attr_forget(gv->db, (size_t)n, before, from)) {
        log_info("the transient attributes of %s are forgotten: it left the membership",
                 nname(gv, (size_t)n));
        gview_save_db(gv);
        gview_replan(gv);
    }
    return 0;
}

int gview_deliver_attr(struct gview *gv, uint32_t from, json_t *j, char **err)
{
    const char *op = gview_get_str(j, "op", true, err);
    if (!op)
        return -EINVAL;
    if (strcmp(op, "set") == 0 || strcmp(op, "delete") == 0)
        return deliver_change(gv, from, j, strcmp(op, "delete") == 0, err);
    if (strcmp(op, "forget") == 0)
        return deliver_forget(gv, from, j, err);
    *err = xasprintf("unknown attribute operation '%.16s'", op);
    return -EINVAL;
}

void gview_attr_membership(struct gview *gv, const struct engine_view *v)
{
    for (size_t i = 0; i < v->n_left; i++) {
        int n = cluster_node_index(gv->cl, v->left[i]);
        if (n < 0)
            continue;
        gv->attr_gone[n] = true;
        gv->attr_gone_ver[n] = gv->db->version;
    }
    memset(gv->attr_forget_sent, 0, n_nodes(gv) * sizeof(bool));
}

void gview_attr_coordinate(struct gview *gv)
{
    for (size_t n = 0; n < n_nodes(gv); n++) {
        if (gv->attr_forget_sent[n])
            continue;
        uint64_t before;
        if (gv->attr_gone[n])
            before = gv->attr_gone_ver[n];
        else if (!gv->cl->nodes[n].online)
            before = gv->db->version; /* offline: whatever it has is left over */
        else
            continue;
        if (!db_attr_has_transient(gv->db, n, before)) {
            gv->attr_gone[n] = false;
            continue;
        }
        json_t *b = json_pack("{s:s, s:s, s:I}", "op", "forget", "node", nname(gv, n), "before",
                              (json_int_t)before);
        int r = gview_send(gv, PEER_G_ATTR, b);
        if (r < 0) {
            log_warn("could not send the forget of the transient attributes of %s: %s",
                     nname(gv, n), strerror(-r));
            continue;
        }
        gv->attr_forget_sent[n] = true;
    }
}

json_t *gview_attr_node_json(const struct gview *gv, size_t n)
{
    json_t *o = json_object();
    const struct db_node_attrs *na = &gv->db->attrs[n];
    for (size_t i = 0; i < na->n; i++)
        json_object_set_new(o, na->a[i].name,
                            json_pack("{s:s, s:s}", "value", na->a[i].value, "lifetime",
                                      db_attr_life_name(na->a[i].life)));
    return o;
}

json_t *gview_attr_list_json(const struct gview *gv, int n)
{
    json_t *list = json_array();
    for (size_t k = 0; k < n_nodes(gv); k++) {
        if (n >= 0 && (size_t)n != k)
            continue;
        const struct db_node_attrs *na = &gv->db->attrs[k];
        for (size_t i = 0; i < na->n; i++)
            json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "node", nname(gv, k),
                                                  "name", na->a[i].name, "value", na->a[i].value,
                                                  "lifetime", db_attr_life_name(na->a[i].life)));
    }
    return list;
}

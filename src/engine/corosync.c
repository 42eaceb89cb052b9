/*
 * The Corosync adapter of the transport interface: libcpg for the process
 * group (membership, agreed-order messages, ring ids), libvotequorum for
 * quorum and votes, and the cmap statistics map for knet link status. Every
 * file descriptor is polled from the caller's libuv loop.
 */
#include "engine/engine.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <corosync/cmap.h>
#include <corosync/corotypes.h>
#include <corosync/cpg.h>
#include <corosync/votequorum.h>

struct cs_engine {
    struct engine base;
    uv_loop_t *loop;
    char *group;
    bool connected;
    uint32_t local_nodeid;

    cpg_handle_t cpg;
    votequorum_handle_t vq;
    cmap_handle_t stats;
    bool have_cpg, have_vq, have_stats;

    uv_poll_t cpg_poll, vq_poll;
    bool cpg_poll_on, vq_poll_on;
    bool quorum_dirty;
    bool quorate;
    int closing; /* poll handles still closing */
    bool free_when_closed;
};

static int cs_to_errno(cs_error_t e)
{
    switch (e) {
    case CS_OK:
        return 0;
    case CS_ERR_TRY_AGAIN:
        return -EAGAIN;
    case CS_ERR_NO_MEMORY:
        return -ENOMEM;
    case CS_ERR_NOT_EXIST:
    case CS_ERR_NAME_NOT_FOUND:
        return -ENOENT;
    case CS_ERR_ACCESS:
        return -EACCES;
    case CS_ERR_TOO_BIG:
        return -EMSGSIZE;
    case CS_ERR_LIBRARY:
    case CS_ERR_BAD_HANDLE:
        return -ENOTCONN;
    default:
        return -EIO;
    }
}

const char *engine_leave_name(enum engine_leave r)
{
    static const char *const names[ENGINE_LEAVE_MAX] = {"clean shutdown", "node down",
                                                         "daemon died", "other"};
    return r < ENGINE_LEAVE_MAX ? names[r] : "unknown";
}

static enum engine_leave leave_from_cpg(uint32_t reason)
{
    switch (reason) {
    case CPG_REASON_LEAVE:
        return ENGINE_LEAVE_CLEAN;
    case CPG_REASON_NODEDOWN:
        return ENGINE_LEAVE_NODEDOWN;
    case CPG_REASON_PROCDOWN:
        return ENGINE_LEAVE_PROCDOWN;
    default:
        return ENGINE_LEAVE_OTHER;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Copies the node ids of list into a sorted array without duplicates. */
static size_t unique_nodeids(const struct cpg_address *list, size_t n, uint32_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = list[i].nodeid;
    qsort(out, n, sizeof(*out), cmp_u32);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[k - 1] != out[i])
            out[k++] = out[i];
    return k;
}

static void on_cpg_deliver(cpg_handle_t h, const struct cpg_name *group, uint32_t nodeid,
                           uint32_t pid, void *msg, size_t len)
{
    struct cs_engine *ce = NULL;
    if (cpg_context_get(h, (void **)&ce) != CS_OK || !ce)
        return;
    ce->base.cb->deliver(ce->base.ctx, nodeid, msg, len);
}

static void on_cpg_confchg(cpg_handle_t h, const struct cpg_name *group,
                           const struct cpg_address *members, size_t n_members,
                           const struct cpg_address *left, size_t n_left,
                           const struct cpg_address *joined, size_t n_joined)
{
    struct cs_engine *ce = NULL;
    if (cpg_context_get(h, (void **)&ce) != CS_OK || !ce)
        return;
    uint32_t *m = xcalloc(n_members + 1, sizeof(*m));
    uint32_t *j = xcalloc(n_joined + 1, sizeof(*j));
    uint32_t *l = xcalloc(n_left + 1, sizeof(*l));
    enum engine_leave *lr = xcalloc(n_left + 1, sizeof(*lr));
    struct engine_view v = {
        .members = m,
        .n_members = unique_nodeids(members, n_members, m),
        .joined = j,
        .n_joined = unique_nodeids(joined, n_joined, j),
        .left = l,
        .left_reason = lr,
    };
    /*
     * A node whose daemon left is only "left" if no other process of that
     * node stays in the group; keep the reason of its first leaving process.
     */
    for (size_t i = 0; i < n_left; i++) {
        bool still = bsearch(&left[i].nodeid, m, v.n_members, sizeof(*m), cmp_u32) != NULL;
        bool dup = false;
        for (size_t k = 0; k < v.n_left; k++)
            dup |= l[k] == left[i].nodeid;
        if (still || dup)
            continue;
        l[v.n_left] = left[i].nodeid;
        lr[v.n_left] = leave_from_cpg(left[i].reason);
        v.n_left++;
    }
    ce->base.cb->view(ce->base.ctx, &v);
    free(m);
    free(j);
    free(l);
    free(lr);
}

static void on_cpg_totem(cpg_handle_t h, struct cpg_ring_id ring, uint32_t n, const uint32_t *list)
{
    struct cs_engine *ce = NULL;
    if (cpg_context_get(h, (void **)&ce) != CS_OK || !ce)
        return;
    ce->base.cb->ring(ce->base.ctx, ring.nodeid, ring.seq);
}

static void on_vq_quorum(votequorum_handle_t h, uint64_t context, uint32_t quorate, uint32_t n,
                         votequorum_node_t nodes[])
{
    struct cs_engine *ce = (struct cs_engine *)(uintptr_t)context;
    ce->quorate = quorate != 0;
    ce->quorum_dirty = true;
}

static void on_vq_expected(votequorum_handle_t h, uint64_t context, uint32_t expected)
{
    struct cs_engine *ce = (struct cs_engine *)(uintptr_t)context;
    ce->quorum_dirty = true;
}

/* Reads the vote counts after a quorum notification (outside the dispatch). */
static void report_quorum(struct cs_engine *ce)
{
    struct votequorum_info info;
    memset(&info, 0, sizeof(info));
    struct engine_quorum q = {.quorate = ce->quorate};
    if (votequorum_getinfo(ce->vq, ce->local_nodeid, &info) == CS_OK) {
        q.total_votes = info.total_votes;
        q.expected_votes = info.node_expected_votes;
        q.needed_votes = info.quorum;
    }
    ce->quorum_dirty = false;
    ce->base.cb->quorum(ce->base.ctx, &q);
}

static void cs_close_all(struct cs_engine *ce);

static void lost(struct cs_engine *ce, int err)
{
    if (!ce->connected)
        return;
    cs_close_all(ce);
    ce->base.cb->lost(ce->base.ctx, err);
}

static void on_cpg_readable(uv_poll_t *p, int status, int events)
{
    struct cs_engine *ce = p->data;
    cs_error_t r = status < 0 ? CS_ERR_LIBRARY : cpg_dispatch(ce->cpg, CS_DISPATCH_ALL);
    if (r != CS_OK && r != CS_ERR_TRY_AGAIN)
        lost(ce, cs_to_errno(r));
}

static void on_vq_readable(uv_poll_t *p, int status, int events)
{
    struct cs_engine *ce = p->data;
    cs_error_t r = status < 0 ? CS_ERR_LIBRARY : votequorum_dispatch(ce->vq, CS_DISPATCH_ALL);
    if (r != CS_OK && r != CS_ERR_TRY_AGAIN) {
        lost(ce, cs_to_errno(r));
        return;
    }
    if (ce->quorum_dirty)
        report_quorum(ce);
}

static void on_poll_closed(uv_handle_t *h)
{
    struct cs_engine *ce = h->data;
    ce->closing--;
    if (ce->closing == 0 && ce->free_when_closed) {
        free(ce->group);
        free(ce);
    }
}

/* Stops polling and finalizes every handle. The poll handles close asynchronously. */
static void cs_close_all(struct cs_engine *ce)
{
    if (ce->cpg_poll_on) {
        ce->closing++;
        uv_close((uv_handle_t *)&ce->cpg_poll, on_poll_closed);
        ce->cpg_poll_on = false;
    }
    if (ce->vq_poll_on) {
        ce->closing++;
        uv_close((uv_handle_t *)&ce->vq_poll, on_poll_closed);
        ce->vq_poll_on = false;
    }
    if (ce->have_cpg)
        cpg_finalize(ce->cpg);
    if (ce->have_vq)
        votequorum_finalize(ce->vq);
    if (ce->have_stats)
        cmap_finalize(ce->stats);
    ce->have_cpg = ce->have_vq = ce->have_stats = false;
    ce->connected = false;
}

static int start_poll(struct cs_engine *ce, uv_poll_t *p, bool *on, int fd, uv_poll_cb cb)
{
    int r = uv_poll_init(ce->loop, p, fd);
    if (r < 0)
        return r;
    p->data = ce;
    *on = true;
    return uv_poll_start(p, UV_READABLE, cb);
}

static int cs_connect(struct engine *e)
{
    struct cs_engine *ce = (struct cs_engine *)e;
    if (ce->connected)
        return 0;

    static cpg_model_v1_data_t model = {
        .model = CPG_MODEL_V1,
        .cpg_deliver_fn = on_cpg_deliver,
        .cpg_confchg_fn = on_cpg_confchg,
        .cpg_totem_confchg_fn = on_cpg_totem,
        .flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
    };
    static votequorum_callbacks_t vq_cb = {
        .votequorum_quorum_notify_fn = on_vq_quorum,
        .votequorum_expectedvotes_notify_fn = on_vq_expected,
    };
    int r;
    cs_error_t cr = cpg_model_initialize(&ce->cpg, CPG_MODEL_V1, (cpg_model_data_t *)&model, ce);
    if (cr != CS_OK)
        return cr == CS_ERR_LIBRARY ? -EAGAIN : cs_to_errno(cr);
    ce->have_cpg = true;
    unsigned int local = 0;
    cr = cpg_local_get(ce->cpg, &local);
    if (cr != CS_OK)
        goto fail_cs;
    ce->local_nodeid = local;

    cr = votequorum_initialize(&ce->vq, &vq_cb);
    if (cr != CS_OK)
        goto fail_cs;
    ce->have_vq = true;
    cr = cmap_initialize_map(&ce->stats, CMAP_MAP_STATS);
    if (cr != CS_OK)
        goto fail_cs;
    ce->have_stats = true;

    struct cpg_name name;
    memset(&name, 0, sizeof(name));
    name.length = (uint32_t)strlen(ce->group);
    memcpy(name.value, ce->group, name.length);
    cr = cpg_join(ce->cpg, &name);
    if (cr != CS_OK)
        goto fail_cs;
    cr = votequorum_trackstart(ce->vq, (uint64_t)(uintptr_t)ce, CS_TRACK_CHANGES);
    if (cr != CS_OK)
        goto fail_cs;

    int cfd = -1, vfd = -1;
    if (cpg_fd_get(ce->cpg, &cfd) != CS_OK || votequorum_fd_get(ce->vq, &vfd) != CS_OK) {
        cr = CS_ERR_LIBRARY;
        goto fail_cs;
    }
    r = start_poll(ce, &ce->cpg_poll, &ce->cpg_poll_on, cfd, on_cpg_readable);
    if (r == 0)
        r = start_poll(ce, &ce->vq_poll, &ce->vq_poll_on, vfd, on_vq_readable);
    if (r < 0) {
        cs_close_all(ce);
        return r;
    }
    ce->connected = true;
    ce->base.cb->connected(ce->base.ctx, ce->local_nodeid);

    /* The current quorum state: trackstart(CHANGES) reports only later changes. */
    struct votequorum_info info;
    memset(&info, 0, sizeof(info));
    if (votequorum_getinfo(ce->vq, ce->local_nodeid, &info) == CS_OK)
        ce->quorate = (info.flags & VOTEQUORUM_INFO_QUORATE) != 0;
    report_quorum(ce);
    return 0;

fail_cs:
    cs_close_all(ce);
    return cr == CS_ERR_LIBRARY || cr == CS_ERR_TRY_AGAIN ? -EAGAIN : cs_to_errno(cr);
}

static void cs_disconnect(struct engine *e)
{
    struct cs_engine *ce = (struct cs_engine *)e;
    if (!ce->connected)
        return;
    struct cpg_name name;
    memset(&name, 0, sizeof(name));
    name.length = (uint32_t)strlen(ce->group);
    memcpy(name.value, ce->group, name.length);
    cpg_leave(ce->cpg, &name);
    cs_close_all(ce);
}

static int cs_broadcast(struct engine *e, const void *msg, size_t len)
{
    struct cs_engine *ce = (struct cs_engine *)e;
    if (!ce->connected)
        return -ENOTCONN;
    struct iovec iov = {.iov_base = (void *)(uintptr_t)msg, .iov_len = len};
    return cs_to_errno(cpg_mcast_joined(ce->cpg, CPG_TYPE_AGREED, &iov, 1));
}

static int cs_link_up(struct engine *e, uint32_t nodeid, unsigned link, bool *ret_up)
{
    struct cs_engine *ce = (struct cs_engine *)e;
    if (!ce->connected)
        return -ENOTCONN;
    char key[96];
    snprintf(key, sizeof(key), "stats.knet.node%u.link%u.connected", nodeid, link);
    uint8_t v = 0;
    cs_error_t r = cmap_get_uint8(ce->stats, key, &v);
    if (r != CS_OK)
        return cs_to_errno(r);
    *ret_up = v != 0;
    return 0;
}

static void cs_free(struct engine *e)
{
    struct cs_engine *ce = (struct cs_engine *)e;
    cs_close_all(ce);
    if (ce->closing > 0) {
        ce->free_when_closed = true;
        return;
    }
    free(ce->group);
    free(ce);
}

static const struct engine_ops cs_ops = {
    .connect = cs_connect,
    .disconnect = cs_disconnect,
    .broadcast = cs_broadcast,
    .link_up = cs_link_up,
    .free = cs_free,
};

struct engine *engine_corosync_new(uv_loop_t *loop, const char *group,
                                   const struct engine_callbacks *cb, void *ctx)
{
    struct cs_engine *ce = xcalloc(1, sizeof(*ce));
    ce->base.ops = &cs_ops;
    ce->base.cb = cb;
    ce->base.ctx = ctx;
    ce->loop = loop;
    ce->group = xstrdup(group);
    return &ce->base;
}

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

struct cs_job;

struct cs_engine {
    struct engine base;
    uv_loop_t *loop;
    char *group;
    bool connected;
    uint32_t local_nodeid;

    /* Used on the loop thread only. */
    cpg_handle_t cpg;
    votequorum_handle_t vq;
    bool have_cpg, have_vq;
    uv_poll_t cpg_poll, vq_poll;
    bool cpg_poll_on, vq_poll_on;
    bool quorate;
    struct engine_quorum votes;
    int closing; /* poll handles still closing */

    /*
     * Requests that wait for Corosync's answer run on a worker thread, one at
     * a time. The worker's own handles are touched only by the running job,
     * or on the loop thread while no job runs.
     */
    struct cs_job *job; /* the job in flight, or NULL */
    bool want_votes;
    cmap_handle_t w_stats;
    votequorum_handle_t w_vq;
    bool have_w_stats, have_w_vq;
    bool reset_worker; /* drop the worker's handles before the next request */
    bool free_pending;

    /*
     * Messages accepted by broadcast but not yet taken by Corosync, oldest
     * first: during a membership change Corosync answers "try again", and the
     * messages must still go out, in order.
     */
    struct out_msg *out_head, *out_tail;
    size_t out_count;
    uv_timer_t out_timer;
    bool out_timer_on;
};

struct out_msg {
    struct out_msg *next;
    size_t len;
    char data[];
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

/* ---- the worker ---------------------------------------------------------- */

enum job_kind { JOB_CONNECT, JOB_LINKS, JOB_VOTES };

struct cs_job {
    uv_work_t req;
    struct cs_engine *ce;
    enum job_kind kind;
    int err;
    uint32_t local; /* input of JOB_VOTES, output of JOB_CONNECT */
    /* JOB_CONNECT */
    cpg_handle_t cpg;
    votequorum_handle_t vq;
    bool quorate;
    /* JOB_CONNECT and JOB_VOTES */
    struct engine_quorum votes;
    /* JOB_LINKS */
    uint32_t *nodes;
    size_t n_nodes;
    unsigned n_links;
    bool *up;
};

static void job_free(struct cs_job *j)
{
    free(j->nodes);
    free(j->up);
    free(j);
}

/* Worker thread: finalises the worker's handles (after a loss, or before freeing). */
static void worker_reset(struct cs_engine *ce)
{
    if (ce->have_w_stats)
        cmap_finalize(ce->w_stats);
    if (ce->have_w_vq)
        votequorum_finalize(ce->w_vq);
    ce->have_w_stats = ce->have_w_vq = false;
    ce->reset_worker = false;
}

static void fill_votes(const struct votequorum_info *info, struct engine_quorum *q)
{
    q->total_votes = info->total_votes;
    q->expected_votes = info->node_expected_votes;
    q->needed_votes = info->quorum;
}

static void on_vq_quorum(votequorum_handle_t h, uint64_t context, uint32_t quorate, uint32_t n,
                         votequorum_node_t nodes[]);
static void on_vq_expected(votequorum_handle_t h, uint64_t context, uint32_t expected);

/* Worker thread: the whole connection sequence; every step waits for Corosync. */
static void work_connect(struct cs_job *j)
{
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
    struct cs_engine *ce = j->ce;
    bool have_cpg = false, have_vq = false;
    cs_error_t r = cpg_model_initialize(&j->cpg, CPG_MODEL_V1, (cpg_model_data_t *)&model, ce);
    have_cpg = r == CS_OK;
    unsigned int local = 0;
    if (r == CS_OK)
        r = cpg_local_get(j->cpg, &local);
    if (r == CS_OK)
        r = votequorum_initialize(&j->vq, &vq_cb);
    have_vq = have_cpg && r == CS_OK;
    if (r == CS_OK) {
        struct cpg_name name;
        memset(&name, 0, sizeof(name));
        name.length = (uint32_t)strlen(ce->group);
        memcpy(name.value, ce->group, name.length);
        r = cpg_join(j->cpg, &name);
    }
    if (r == CS_OK)
        r = votequorum_trackstart(j->vq, (uint64_t)(uintptr_t)ce, CS_TRACK_CHANGES);
    struct votequorum_info info;
    memset(&info, 0, sizeof(info));
    if (r == CS_OK)
        r = votequorum_getinfo(j->vq, local, &info);
    if (r != CS_OK) {
        if (have_cpg)
            cpg_finalize(j->cpg);
        if (have_vq)
            votequorum_finalize(j->vq);
        j->err = r == CS_ERR_LIBRARY || r == CS_ERR_TRY_AGAIN ? -EAGAIN : cs_to_errno(r);
        return;
    }
    j->local = local;
    j->quorate = (info.flags & VOTEQUORUM_INFO_QUORATE) != 0;
    fill_votes(&info, &j->votes);
}

/* Worker thread: link status from the statistics map. */
static void work_links(struct cs_job *j)
{
    struct cs_engine *ce = j->ce;
    if (!ce->have_w_stats) {
        if (cmap_initialize_map(&ce->w_stats, CMAP_MAP_STATS) != CS_OK) {
            j->err = -ENOTCONN;
            return;
        }
        ce->have_w_stats = true;
    }
    for (size_t i = 0; i < j->n_nodes; i++) {
        for (unsigned k = 0; k < j->n_links; k++) {
            char key[96];
            snprintf(key, sizeof(key), "stats.knet.node%u.link%u.connected", j->nodes[i], k);
            uint8_t v = 0;
            cs_error_t r = cmap_get_uint8(ce->w_stats, key, &v);
            if (r == CS_ERR_LIBRARY || r == CS_ERR_BAD_HANDLE) {
                worker_reset(ce);
                j->err = -ENOTCONN;
                return;
            }
            j->up[i * ENGINE_MAX_LINKS + k] = r == CS_OK && v != 0;
        }
    }
}

/* Worker thread: vote counts. */
static void work_votes(struct cs_job *j)
{
    struct cs_engine *ce = j->ce;
    if (!ce->have_w_vq) {
        if (votequorum_initialize(&ce->w_vq, NULL) != CS_OK) {
            j->err = -ENOTCONN;
            return;
        }
        ce->have_w_vq = true;
    }
    struct votequorum_info info;
    memset(&info, 0, sizeof(info));
    cs_error_t r = votequorum_getinfo(ce->w_vq, j->local, &info);
    if (r != CS_OK) {
        worker_reset(ce);
        j->err = cs_to_errno(r);
        return;
    }
    fill_votes(&info, &j->votes);
}

static void on_work(uv_work_t *req)
{
    struct cs_job *j = req->data;
    if (j->ce->reset_worker)
        worker_reset(j->ce);
    switch (j->kind) {
    case JOB_CONNECT:
        work_connect(j);
        break;
    case JOB_LINKS:
        work_links(j);
        break;
    case JOB_VOTES:
        work_votes(j);
        break;
    }
}

static void cs_close_all(struct cs_engine *ce);
static void maybe_free(struct cs_engine *ce);
static void out_clear(struct cs_engine *ce);
static void start_job(struct cs_engine *ce, struct cs_job *j);
static void request_votes(struct cs_engine *ce);

static int start_poll(struct cs_engine *ce, uv_poll_t *p, bool *on, int fd, uv_poll_cb cb);
static void on_cpg_readable(uv_poll_t *p, int status, int events);
static void on_vq_readable(uv_poll_t *p, int status, int events);

/* Loop thread: a connection attempt finished. */
static void connect_done(struct cs_engine *ce, struct cs_job *j)
{
    if (j->err < 0)
        return;
    if (ce->free_pending || ce->connected) {
        cpg_finalize(j->cpg);
        votequorum_finalize(j->vq);
        return;
    }
    ce->cpg = j->cpg;
    ce->vq = j->vq;
    ce->have_cpg = ce->have_vq = true;
    int cfd = -1, vfd = -1;
    int r = cpg_fd_get(ce->cpg, &cfd) == CS_OK && votequorum_fd_get(ce->vq, &vfd) == CS_OK
                ? 0
                : -ENOTCONN;
    if (r == 0)
        r = start_poll(ce, &ce->cpg_poll, &ce->cpg_poll_on, cfd, on_cpg_readable);
    if (r == 0)
        r = start_poll(ce, &ce->vq_poll, &ce->vq_poll_on, vfd, on_vq_readable);
    if (r < 0) {
        cs_close_all(ce);
        return;
    }
    ce->connected = true;
    ce->local_nodeid = j->local;
    ce->quorate = j->quorate;
    ce->votes = j->votes;
    ce->votes.quorate = j->quorate;
    ce->base.cb->connected(ce->base.ctx, ce->local_nodeid);
    ce->base.cb->quorum(ce->base.ctx, &ce->votes);
}

static void on_work_done(uv_work_t *req, int status)
{
    struct cs_job *j = req->data;
    struct cs_engine *ce = j->ce;
    ce->job = NULL;
    if (status < 0 && j->err == 0)
        j->err = status;
    if (j->kind == JOB_CONNECT) {
        connect_done(ce, j);
    } else if (!ce->free_pending && ce->connected && j->err == 0) {
        if (j->kind == JOB_LINKS) {
            struct engine_links l = {.nodes = j->nodes, .n_nodes = j->n_nodes, .up = j->up};
            ce->base.cb->links(ce->base.ctx, &l);
        } else {
            ce->votes.total_votes = j->votes.total_votes;
            ce->votes.expected_votes = j->votes.expected_votes;
            ce->votes.needed_votes = j->votes.needed_votes;
            ce->votes.quorate = ce->quorate;
            ce->base.cb->quorum(ce->base.ctx, &ce->votes);
        }
    }
    job_free(j);
    if (ce->free_pending) {
        maybe_free(ce);
        return;
    }
    request_votes(ce);
}

static void start_job(struct cs_engine *ce, struct cs_job *j)
{
    j->ce = ce;
    j->req.data = j;
    ce->job = j;
    if (uv_queue_work(ce->loop, &j->req, on_work, on_work_done) < 0) {
        ce->job = NULL;
        job_free(j);
    }
}

/* ---- the loop thread ------------------------------------------------------ */

static void on_vq_quorum(votequorum_handle_t h, uint64_t context, uint32_t quorate, uint32_t n,
                         votequorum_node_t nodes[])
{
    struct cs_engine *ce = (struct cs_engine *)(uintptr_t)context;
    ce->quorate = quorate != 0;
    ce->votes.quorate = ce->quorate;
    /* vigil gives every node one vote: the members present are the votes present. */
    uint32_t members = 0;
    for (uint32_t i = 0; i < n; i++)
        members += nodes[i].state == VOTEQUORUM_NODESTATE_MEMBER;
    ce->votes.total_votes = members;
    ce->want_votes = true;
    /* Quorum itself is reported at once; the vote counts follow from the worker. */
    ce->base.cb->quorum(ce->base.ctx, &ce->votes);
}

static void on_vq_expected(votequorum_handle_t h, uint64_t context, uint32_t expected)
{
    struct cs_engine *ce = (struct cs_engine *)(uintptr_t)context;
    ce->want_votes = true;
}

static void lost(struct cs_engine *ce, int err)
{
    if (!ce->connected)
        return;
    cs_close_all(ce);
    ce->base.cb->lost(ce->base.ctx, err);
}

static void request_votes(struct cs_engine *ce)
{
    if (!ce->want_votes || ce->job || !ce->connected)
        return;
    struct cs_job *v = xcalloc(1, sizeof(*v));
    v->kind = JOB_VOTES;
    v->local = ce->local_nodeid;
    ce->want_votes = false;
    start_job(ce, v);
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
    request_votes(ce);
}

static void on_poll_closed(uv_handle_t *h)
{
    struct cs_engine *ce = h->data;
    ce->closing--;
    maybe_free(ce);
}

/* Frees the engine once it was asked to and nothing of it is in flight. */
static void maybe_free(struct cs_engine *ce)
{
    if (!ce->free_pending || ce->closing > 0 || ce->job)
        return;
    worker_reset(ce); /* no job runs: the loop thread may touch the worker's handles */
    free(ce->group);
    free(ce);
}

/* Stops polling and finalizes the loop thread's handles. Polls close asynchronously. */
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
    ce->have_cpg = ce->have_vq = false;
    ce->connected = false;
    ce->want_votes = false;
    out_clear(ce);
    memset(&ce->votes, 0, sizeof(ce->votes));
    /* The worker's handles belong to the old Corosync too. */
    ce->reset_worker = true;
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
    if (ce->job)
        return -EBUSY;
    struct cs_job *j = xcalloc(1, sizeof(*j));
    j->kind = JOB_CONNECT;
    start_job(ce, j);
    return 0;
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

static void out_clear(struct cs_engine *ce)
{
    while (ce->out_head) {
        struct out_msg *m = ce->out_head;
        ce->out_head = m->next;
        free(m);
    }
    ce->out_tail = NULL;
    ce->out_count = 0;
    if (ce->out_timer_on)
        uv_timer_stop(&ce->out_timer);
}

static void on_out_timer(uv_timer_t *t);

/* Hands queued messages to Corosync, oldest first, until it says "try again". */
static void out_flush(struct cs_engine *ce)
{
    while (ce->out_head && ce->connected) {
        struct out_msg *m = ce->out_head;
        struct iovec iov = {.iov_base = m->data, .iov_len = m->len};
        cs_error_t r = cpg_mcast_joined(ce->cpg, CPG_TYPE_AGREED, &iov, 1);
        if (r == CS_ERR_TRY_AGAIN) {
            if (!ce->out_timer_on) {
                uv_timer_init(ce->loop, &ce->out_timer);
                ce->out_timer.data = ce;
                ce->out_timer_on = true;
            }
            uv_timer_start(&ce->out_timer, on_out_timer, ENGINE_RETRY_MS, 0);
            return;
        }
        ce->out_head = m->next;
        if (!ce->out_head)
            ce->out_tail = NULL;
        ce->out_count--;
        free(m);
        if (r != CS_OK) {
            lost(ce, cs_to_errno(r));
            return;
        }
    }
}

static void on_out_timer(uv_timer_t *t)
{
    out_flush(t->data);
}

static int cs_broadcast(struct engine *e, const void *msg, size_t len)
{
    struct cs_engine *ce = (struct cs_engine *)e;
    if (!ce->connected)
        return -ENOTCONN;
    if (ce->out_count >= ENGINE_MAX_QUEUED)
        return -ENOBUFS;
    struct out_msg *m = xmalloc(sizeof(*m) + len);
    m->next = NULL;
    m->len = len;
    memcpy(m->data, msg, len);
    if (ce->out_tail)
        ce->out_tail->next = m;
    else
        ce->out_head = m;
    ce->out_tail = m;
    ce->out_count++;
    out_flush(ce);
    return 0;
}

static int cs_query_links(struct engine *e, const uint32_t *nodes, size_t n_nodes, unsigned n_links)
{
    struct cs_engine *ce = (struct cs_engine *)e;
    if (!ce->connected)
        return -ENOTCONN;
    if (ce->job)
        return -EBUSY;
    if (n_links > ENGINE_MAX_LINKS)
        return -EINVAL;
    struct cs_job *j = xcalloc(1, sizeof(*j));
    j->kind = JOB_LINKS;
    j->nodes = xcalloc(n_nodes + 1, sizeof(*j->nodes));
    memcpy(j->nodes, nodes, n_nodes * sizeof(*nodes));
    j->n_nodes = n_nodes;
    j->n_links = n_links;
    j->up = xcalloc((n_nodes + 1) * ENGINE_MAX_LINKS, sizeof(*j->up));
    start_job(ce, j);
    return 0;
}

static void cs_free(struct engine *e)
{
    struct cs_engine *ce = (struct cs_engine *)e;
    cs_close_all(ce);
    if (ce->out_timer_on) {
        ce->out_timer_on = false;
        ce->closing++;
        uv_close((uv_handle_t *)&ce->out_timer, on_poll_closed);
    }
    ce->free_pending = true;
    maybe_free(ce);
}

static const struct engine_ops cs_ops = {
    .connect = cs_connect,
    .disconnect = cs_disconnect,
    .broadcast = cs_broadcast,
    .query_links = cs_query_links,
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

bool engine_corosync_running(void)
{
    cpg_handle_t h;
    cpg_callbacks_t cb = {0};
    if (cpg_initialize(&h, &cb) != CS_OK)
        return false;
    cpg_finalize(h);
    return true;
}

/*
 * libFuzzer target for the control protocol's request decoder (ctl_handle,
 * src/daemon/ctl.c), answering from a fixed cluster: the three-node
 * configuration of fuzz_util.h seen from n1, with n1 and n2 members of a
 * quorate partition and a few events logged. The input is one request line.
 * What must hold, for every command (ctl.h lists them):
 *  - the reply is a JSON object with a boolean "ok" that ctl_dump_line
 *    writes as one line ending in '\n' and that reads back equal;
 *  - an error reply has an "error" of one line and no "result", and asks
 *    the daemon for nothing (no intent, fence, follow or deferred request);
 *  - a success has a "result"; what it asks the daemon for is in range: an
 *    intent names a group, node or resource of the configuration, a fence
 *    names a node, a deferred request is the request as it was sent;
 *  - nothing about the cluster changes (no event, the same status), and
 *    everything is freed.
 * Built and run by scripts/fuzz (dictionary: ctl.dict).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/util.h"
#include "daemon/cluster.h"
#include "daemon/ctl.h"
#include "daemon/eventlog.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cfg *cfg;
static struct eventlog *events;
static struct cluster cl;
static json_t *status_before; /* the status answered before any input */
static uint64_t seq_before;

/* n1's view: n1 and n2 are members, quorate; n3 left without a clean shutdown. */
static void setup(void)
{
    cfg = fuzz_cluster_cfg();
    events = eventlog_new(100);
    cluster_init(&cl, cfg, events);
    cluster_engine_connected(&cl, 1);
    uint32_t all[] = {1, 2, 3}, two[] = {1, 2}, gone[] = {3};
    enum engine_leave why[] = {ENGINE_LEAVE_NODEDOWN};
    struct engine_view v = {.members = all, .n_members = 3, .joined = all, .n_joined = 3};
    cluster_apply_view(&cl, &v);
    struct engine_view v2 = {
        .members = two, .n_members = 2, .left = gone, .left_reason = why, .n_left = 1};
    cluster_apply_view(&cl, &v2);
    struct engine_quorum q = {
        .quorate = true, .total_votes = 2, .expected_votes = 3, .needed_votes = 2};
    cluster_apply_quorum(&cl, &q);
    eventlog_add_group(events, EV_GROUP_STARTED, "n1", "web", NULL, 120, "group web started on n1");
    status_before = cluster_status_json(&cl);
    seq_before = eventlog_last_seq(events);
}

static bool requested_nothing(const struct ctl_result *r)
{
    return !r->follow && r->fence_node == -1 && !r->fence_confirm && !r->fence_reboot &&
           !r->has_intent && r->request == NULL;
}

static void check_intent(const struct db_intent *in)
{
    fuzz_check(in->op < DB_INTENT_OP_MAX, "an intent's op out of range");
    fuzz_check(in->group >= -1 && in->group < (int)cfg->n_groups, "an intent's group out of range");
    fuzz_check(in->node >= -1 && in->node < (int)cfg->n_nodes, "an intent's node out of range");
    fuzz_check(in->resource == -1 || (in->group >= 0 && in->resource >= 0 &&
                                      (size_t)in->resource < cfg->groups[in->group].n_resources),
               "an intent's resource out of range");
    fuzz_check(in->group >= 0 || in->node >= 0, "an intent about nothing");
}

/* A deferred request: one of the commands vigild answers itself, as it was sent. */
static void check_request(const json_t *req, const uint8_t *data, size_t size)
{
    static const char *const deferred[] = {"config", "node", "history", "attr"};
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    bool known = false;
    for (size_t i = 0; cmd && i < ARRAY_SIZE(deferred); i++)
        known |= strcmp(cmd, deferred[i]) == 0;
    fuzz_check(known, "a deferred request of a command vigild does not answer itself");
    json_t *sent = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    fuzz_check(json_equal(sent, req), "a deferred request is not the request sent");
    json_decref(sent);
}

/* The reply as the socket writes it: one line that reads back equal. */
static void check_line(const json_t *reply)
{
    size_t len;
    char *line = ctl_dump_line(reply, &len);
    fuzz_check(len > 0 && len == strlen(line) && line[len - 1] == '\n' &&
                   memchr(line, '\n', len - 1) == NULL,
               "a reply line is not one line ending in a newline");
    json_t *back = json_loadb(line, len - 1, 0, NULL);
    fuzz_check(json_equal(back, reply), "a reply line does not read back equal");
    json_decref(back);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cfg)
        setup(); /* kept for the whole run */
    struct ctl_result r;
    ctl_handle(&cl, (const char *)data, size, &r);
    fuzz_check(json_is_object(r.reply), "a reply that is not a JSON object");
    json_t *ok = json_object_get(r.reply, "ok");
    fuzz_check(json_is_boolean(ok), "a reply without a boolean \"ok\"");
    if (json_is_false(ok)) {
        const char *err = json_string_value(json_object_get(r.reply, "error"));
        fuzz_check(fuzz_one_line(err), "an error reply without an \"error\" of one line");
        fuzz_check(!json_object_get(r.reply, "result"), "an error reply with a result");
        fuzz_check(requested_nothing(&r), "an error reply that asks the daemon for something");
    } else {
        fuzz_check(json_object_get(r.reply, "result") != NULL, "a success without a result");
        fuzz_check(!json_object_get(r.reply, "error"), "a success with an error");
        if (r.has_intent)
            check_intent(&r.intent);
        fuzz_check(r.fence_node >= -1 && r.fence_node < (int)cfg->n_nodes,
                   "a fence of a node out of range");
        fuzz_check(r.fence_node >= 0 || (!r.fence_confirm && !r.fence_reboot),
                   "a fence flag without a node");
        fuzz_check(!(r.has_intent && r.request), "both an intent and a deferred request");
        if (r.request)
            check_request(r.request, data, size);
    }
    check_line(r.reply);

    fuzz_check(eventlog_last_seq(events) == seq_before, "a request added an event");
    json_t *status = cluster_status_json(&cl);
    fuzz_check(json_equal(status, status_before), "a request changed the cluster's status");
    json_decref(status);
    json_decref(r.reply);
    json_decref(r.request);
    return 0;
}

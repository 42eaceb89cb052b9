/*
 * libFuzzer target for the cluster wire decoder (src/daemon/peer.c) and the
 * cluster database that "db" messages carry (db_from_json, src/daemon/db.c).
 * The input is one message broadcast by node id 2. What must hold:
 *  - peer_decode decodes it or refuses it with -EINVAL and a reason of one
 *    line, leaving the message untouched; never a crash, leak or hang;
 *  - what decodes is whole: a hello is from node 2 (and the same bytes from
 *    node 3 are refused), a fence message has the fields its op needs, a
 *    group message of every kind is an object whose "type" names its kind;
 *  - re-encoded (peer_encode_hello, peer_encode_fence, peer_encode_group),
 *    it decodes again to an equal message;
 *  - the database of a "db" message is read against the fixed three-node
 *    configuration (fuzz_util.h) or refused with a one-line reason and no
 *    result; what is read re-encodes (db_to_json) to JSON that reads back
 *    to the same JSON, and its persisted form (db_dump) reads back too.
 * Built and run by scripts/fuzz (dictionary: peer.dict).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/util.h"
#include "daemon/db.h"
#include "daemon/peer.h"
#include "fuzz_util.h"

#define FROM 2 /* the node id every input comes from */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cfg *cfg;

static bool is_zero(const struct peer_msg *m)
{
    static const struct peer_msg zero;
    return memcmp(m, &zero, sizeof(zero)) == 0;
}

/* Decodes data from node from: the result (0 or -EINVAL), the message filled on success. */
static int decode(uint32_t from, const void *data, size_t len, struct peer_msg *m)
{
    struct peer_msg untouched;
    memset(&untouched, 0x5a, sizeof(untouched));
    memset(m, 0x5a, sizeof(*m));
    char *err = NULL;
    int r = peer_decode(from, data, len, m, &err);
    if (r == 0) {
        fuzz_check(err == NULL, "a reason after success");
        return 0;
    }
    fuzz_check(r == -EINVAL, "an error other than -EINVAL");
    fuzz_check(fuzz_one_line(err), "a refusal without a reason of one line");
    fuzz_check(memcmp(m, &untouched, sizeof(*m)) == 0, "a refusal changed the message");
    memset(m, 0, sizeof(*m));
    free(err);
    return r;
}

static bool names_equal(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool fence_equal(const struct peer_msg *a, const struct peer_msg *b)
{
    const __typeof__(a->fence) *x = &a->fence, *y = &b->fence;
    return x->op == y->op && streq_null(x->node, y->node) && streq_null(x->action, y->action) &&
           x->level == y->level && x->attempt == y->attempt && streq_null(x->device, y->device) &&
           streq_null(x->outcome, y->outcome) && streq_null(x->reason, y->reason) &&
           x->ok == y->ok && names_equal(x->unclean, x->n_unclean, y->unclean, y->n_unclean) &&
           names_equal(x->unseen, x->n_unseen, y->unseen, y->n_unseen);
}

/* Decodes wire (a re-encoding) and checks it came back as the same type; caller clears again. */
static void decode_again(char *wire, size_t len, struct peer_msg *again, enum peer_type type)
{
    fuzz_check(decode(FROM, wire, len, again) == 0, "a re-encoded message is refused");
    fuzz_check(again->type == type, "a re-encoded message changed type");
    fuzz_check(again->proto == PEER_PROTO_VERSION, "a re-encoding is not of this version");
    free(wire);
}

static void check_hello(const struct peer_msg *m, const uint8_t *data, size_t size)
{
    fuzz_check(m->hello.node_id == FROM, "a hello from another node id than the sender's");
    fuzz_check(m->hello.node && strlen(m->hello.node) <= 255, "a hello's node name");
    fuzz_check(m->hello.version && strlen(m->hello.version) <= 64, "a hello's version");
    struct peer_msg other;
    fuzz_check(decode(FROM + 1, data, size, &other) != 0, "a hello claiming another node id");

    size_t len;
    char *wire = peer_encode_hello(m->hello.node_id, m->hello.node, m->hello.version,
                                   m->hello.cfg_hash, &len);
    struct peer_msg again;
    decode_again(wire, len, &again, PEER_HELLO);
    fuzz_check(again.hello.node_id == m->hello.node_id &&
                   strcmp(again.hello.node, m->hello.node) == 0 &&
                   strcmp(again.hello.version, m->hello.version) == 0 &&
                   again.hello.cfg_hash == m->hello.cfg_hash,
               "a re-encoded hello decodes differently");
    peer_msg_clear(&again);
}

static void check_fence(const struct peer_msg *m)
{
    const __typeof__(m->fence) *f = &m->fence;
    fuzz_check(f->op < PEER_FENCE_OP_MAX, "a fence op out of range");
    fuzz_check(f->node || f->op == PEER_FENCE_STATE, "a fence message without its node");
    fuzz_check(!f->action || strcmp(f->action, "off") == 0 || strcmp(f->action, "reboot") == 0,
               "a fence action other than off or reboot");
    if (f->op == PEER_FENCE_ATTEMPT)
        fuzz_check(f->device && f->outcome, "an attempt without device or outcome");
    fuzz_check(f->level <= 1000 && f->attempt <= 1000, "a fence level or attempt out of range");
    fuzz_check(f->n_unclean <= PEER_MAX_LIST && f->n_unseen <= PEER_MAX_LIST,
               "a fence state list too long");
    if (f->op == PEER_FENCE_STATE)
        fuzz_check(f->unclean != NULL, "a fence state without its unclean list");

    size_t len;
    char *wire = peer_encode_fence(m, &len);
    struct peer_msg again;
    decode_again(wire, len, &again, PEER_FENCE);
    fuzz_check(fence_equal(m, &again), "a re-encoded fence message decodes differently");
    peer_msg_clear(&again);
}

/* The database of a "db" message: read, re-encoded, read again; its disk form read back. */
static void check_db(const json_t *jdb)
{
    struct db *db = NULL;
    char *err = NULL;
    if (db_from_json(cfg, jdb, &db, &err) < 0) {
        fuzz_check(db == NULL, "a refused database was returned");
        fuzz_check(fuzz_one_line(err), "a refused database without a reason of one line");
        free(err);
        return;
    }
    fuzz_check(err == NULL && db != NULL, "a database read without its result");
    json_t *j1 = db_to_json(db);
    fuzz_check(j1 != NULL, "a database that was read cannot be encoded");
    struct db *db2 = NULL;
    if (db_from_json(cfg, j1, &db2, &err) < 0) {
        fprintf(stderr, "fuzz: %s\n", err);
        fuzz_check(false, "an encoded database is refused");
    }
    json_t *j2 = db_to_json(db2);
    fuzz_check(json_equal(j1, j2), "an encoded database reads back differently");

    char *text = db_dump(db);
    json_t *jdisk = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    fuzz_check(jdisk != NULL, "the disk form of a database is not JSON");
    struct db *db3 = NULL;
    fuzz_check(db_from_json(cfg, jdisk, &db3, &err) == 0, "the disk form of a database is refused");
    fuzz_check(!db3->complete, "a database from disk claims to be complete");
    json_t *p1 = db_to_json_persisted(db), *p3 = db_to_json_persisted(db3);
    fuzz_check(json_equal(p1, p3), "the disk form of a database reads back differently");

    json_decref(p1);
    json_decref(p3);
    db_free(db3);
    json_decref(jdisk);
    free(text);
    json_decref(j2);
    db_free(db2);
    json_decref(j1);
    db_free(db);
}

static void check_group(const struct peer_msg *m)
{
    json_t *body = m->group.body;
    fuzz_check(m->group.kind < PEER_G_KIND_MAX, "a group message kind out of range");
    fuzz_check(json_is_object(body), "a group message body that is not an object");
    fuzz_check(streq_null(json_string_value(json_object_get(body, "type")),
                          peer_group_kind_name(m->group.kind)),
               "a group message whose type is not its kind");
    fuzz_check(json_integer_value(json_object_get(body, "v")) == (json_int_t)m->proto,
               "a group message's protocol is not its \"v\"");

    json_t *copy = json_deep_copy(body);
    fuzz_check(copy != NULL, "a group message body cannot be copied");
    size_t len;
    char *wire = peer_encode_group(m->group.kind, copy, &len);
    struct peer_msg again;
    decode_again(wire, len, &again, PEER_GROUP);
    fuzz_check(again.group.kind == m->group.kind, "a re-encoded group message changed kind");
    fuzz_check(json_equal(again.group.body, copy), "a re-encoded group message changed its body");
    const char *key;
    json_t *val;
    json_object_foreach(body, key, val)
    {
        if (strcmp(key, "v") != 0)
            fuzz_check(json_equal(json_object_get(again.group.body, key), val),
                       "a field of a group message changed on the way");
    }
    json_decref(copy);
    peer_msg_clear(&again);

    if (m->group.kind == PEER_G_DB)
        check_db(json_object_get(body, "db"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cfg)
        cfg = fuzz_cluster_cfg(); /* kept for the whole run */
    struct peer_msg m;
    if (decode(FROM, data, size, &m) < 0)
        return 0;
    fuzz_check(m.type < PEER_TYPE_MAX, "a message type out of range");
    fuzz_check(m.proto >= PEER_PROTO_MIN && m.proto <= PEER_PROTO_VERSION + 1,
               "a message of an unsupported protocol version");
    if (m.type == PEER_HELLO)
        check_hello(&m, data, size);
    else if (m.type == PEER_FENCE)
        check_fence(&m);
    else
        check_group(&m);
    peer_msg_clear(&m);
    fuzz_check(is_zero(&m), "a cleared message is not empty");
    peer_msg_clear(&m); /* cleared twice: harmless */
    return 0;
}

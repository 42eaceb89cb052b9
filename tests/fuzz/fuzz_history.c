/*
 * libFuzzer target for the event history reader (history_query,
 * src/daemon/history.c). The input is the content of a history file; it is
 * written to a directory of this process under build-fuzz/history-fuzz.d
 * (rewritten for each input) and read three times: as history.jsonl, the
 * file being written (a last line without its newline is an append in
 * progress: left out, not counted), as history.jsonl.1, a finished file (it
 * counts), and as both (the older file first). What must hold:
 *  - never a crash, leak or hang; the result is an array of JSON objects;
 *  - lines that are not JSON objects are skipped and counted, and the count
 *    is that of such lines (empty lines aside);
 *  - the events are those of the files that are objects, in order;
 *  - a filter by the group, node, type or time of an event read, with a
 *    limit of 1 or 2, keeps the newest matching events, oldest first.
 * Built and run by scripts/fuzz (dictionary: history.dict).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/util.h"
#include "daemon/history.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *cur_path, *old_path;

static void remove_dir(void)
{
    unlink(cur_path);
    unlink(old_path);
    rmdir(dir);
}

/* build-fuzz/history-fuzz.d/PID, next to this program; removed at exit. */
static void setup(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    fuzz_check(n > 0, "cannot find this program");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    *slash = '\0';
    char *top = xasprintf("%s/history-fuzz.d", exe);
    fuzz_check(mkdir(top, 0700) == 0 || errno == EEXIST, "cannot create history-fuzz.d");
    dir = xasprintf("%s/%ld", top, (long)getpid());
    free(top);
    fuzz_check(mkdir(dir, 0700) == 0 || errno == EEXIST, "cannot create the history directory");
    cur_path = xasprintf("%s/%s", dir, HISTORY_FILE);
    old_path = xasprintf("%s/%s.1", dir, HISTORY_FILE);
    atexit(remove_dir);
}

/* Makes path hold data (or not exist, data NULL). */
static void put(const char *path, const uint8_t *data, size_t size)
{
    unlink(path);
    if (!data)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    fuzz_check(fd >= 0, "cannot write the history file");
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        fuzz_check(w > 0, "cannot write the history file");
        done += (size_t)w;
    }
    close(fd);
}

/* What the file should read as: its objects in order, and the count of other non-empty lines. */
static json_t *expected(const uint8_t *data, size_t size, bool ended, size_t *ret_skipped)
{
    json_t *all = json_array();
    size_t skipped = 0;
    for (size_t at = 0; at < size;) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t n = nl ? (size_t)(nl - (data + at)) : size - at;
        if (!nl && !ended)
            break;
        if (n > 0) {
            json_t *ev = json_loadb((const char *)data + at, n, 0, NULL);
            if (json_is_object(ev))
                json_array_append(all, ev);
            else
                skipped++;
            json_decref(ev);
        }
        at += n + 1;
    }
    *ret_skipped = skipped;
    return all;
}

/* Reads the directory's history through f; checks the skipped count and that it is an array. */
static json_t *query(const struct history_filter *f, size_t want_skipped)
{
    size_t skipped = 12345;
    char *err = NULL;
    json_t *got = history_query(dir, f, &skipped, &err);
    if (!got) {
        fprintf(stderr, "fuzz: %s\n", err);
        fuzz_check(false, "the history cannot be read");
    }
    fuzz_check(err == NULL, "a reason after success");
    fuzz_check(json_is_array(got), "the history is not an array");
    fuzz_check(skipped == want_skipped, "damaged lines miscounted");
    size_t i;
    json_t *ev;
    json_array_foreach(got, i, ev)
    {
        fuzz_check(json_is_object(ev), "an event that is not an object");
    }
    return got;
}

static uint64_t ts_of(json_t *ev)
{
    json_t *ts = json_object_get(ev, "ts_ms");
    return json_is_integer(ts) && json_integer_value(ts) > 0 ? (uint64_t)json_integer_value(ts) : 0;
}

static bool field_is(json_t *ev, const char *key, const char *want)
{
    return !want || streq_null(json_string_value(json_object_get(ev, key)), want);
}

static bool matches(json_t *ev, const struct history_filter *f)
{
    uint64_t t = ts_of(ev);
    return (!f->since_ms || t >= f->since_ms) && (!f->until_ms || t <= f->until_ms) &&
           field_is(ev, "group", f->group) && field_is(ev, "node", f->node) &&
           field_is(ev, "type", f->type);
}

/* The newest f->limit events of all that f lets through, oldest first. */
static void check_filter(json_t *all, const struct history_filter *f, size_t skipped)
{
    json_t *want = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(all, i, ev)
    {
        if (matches(ev, f))
            json_array_append(want, ev);
    }
    while (json_array_size(want) > f->limit)
        json_array_remove(want, 0);
    json_t *got = query(f, skipped);
    fuzz_check(json_equal(got, want), "a filtered history is not the newest matching events");
    json_decref(got);
    json_decref(want);
}

/* Filters by what the events read hold: the first one's fields, the last one's time. */
static void check_filters(json_t *all, size_t skipped)
{
    if (json_array_size(all) == 0)
        return;
    json_t *first = json_array_get(all, 0), *last = json_array_get(all, json_array_size(all) - 1);
    const char *keys[] = {"group", "node", "type"};
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        const char *v = json_string_value(json_object_get(first, keys[k]));
        if (!v)
            continue;
        struct history_filter f = {.limit = 2};
        if (k == 0)
            f.group = v;
        else if (k == 1)
            f.node = v;
        else
            f.type = v;
        check_filter(all, &f, skipped);
    }
    uint64_t a = ts_of(first), b = ts_of(last);
    if (a && b) {
        struct history_filter f = {
            .since_ms = a < b ? a : b, .until_ms = a < b ? b : a, .limit = 1};
        check_filter(all, &f, skipped);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir)
        setup();
    static const struct history_filter everything = {.limit = HISTORY_MAX_LIMIT};
    enum { CURRENT, OLD, BOTH };
    for (int files = CURRENT; files <= BOTH; files++) {
        /* The input as history.jsonl, as history.jsonl.1, or as both (the old one read first). */
        put(cur_path, files != OLD ? data : NULL, size);
        put(old_path, files != CURRENT ? data : NULL, size);
        size_t skipped = 0, more = 0;
        json_t *want = expected(data, size, files != CURRENT, &skipped);
        if (files == BOTH) {
            json_t *cur = expected(data, size, false, &more);
            json_array_extend(want, cur);
            json_decref(cur);
            skipped += more;
        }
        json_t *got = query(&everything, skipped);
        fuzz_check(json_equal(got, want), "the events read are not the file's objects in order");
        if (files == BOTH) /* the filters' ring wraps across both files */
            check_filters(got, skipped);
        json_decref(got);
        json_decref(want);
    }
    return 0;
}

/*
 * Shared by the unit tests of the configuration loader (test_config_*.c) and by
 * the tests that need a configuration from a string (test_res_ready.c,
 * test_cfgchange.c): the data directory, loading with the diagnostics checked
 * byte for byte, the common pieces of vigil.yaml text, and key files in a
 * scratch directory. Include after cmocka.h.
 */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"

/* $VIGIL_TEST_DATA/configs/<rel>, as given (not made absolute); owned by the caller. */
static inline char *config_path(const char *rel)
{
    const char *dir = getenv("VIGIL_TEST_DATA");
    assert_non_null(dir);
    return xasprintf("%s/configs/%s", dir, rel);
}

/* The diagnostics as cfg_diags_print writes them, with strip removed from each line start. */
static inline char *diags_text(const struct cfg_diags *d, const char *strip)
{
    char *raw = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&raw, &len);
    assert_non_null(f);
    cfg_diags_print(d, f);
    fclose(f);
    if (!strip || !*strip)
        return raw;
    size_t sl = strlen(strip);
    char *out = xmalloc(len + 1), *o = out;
    for (const char *line = raw; *line;) {
        const char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (ll >= sl && memcmp(line, strip, sl) == 0) {
            memcpy(o, line + sl, ll - sl);
            o += ll - sl;
        } else {
            memcpy(o, line, ll);
            o += ll;
        }
        line += ll;
    }
    *o = '\0';
    free(raw);
    return out;
}

/* Loads tests/unit/data/configs/<rel>; asserts the load result. */
static inline struct cfg *load_valid(const char *rel)
{
    _cleanup_free_ char *path = config_path(rel);
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_file(path, 0, &c, &d);
    if (r != 0 || d.n != 0) {
        cfg_diags_print(&d, stderr);
        fail_msg("%s: expected a clean load, got %d", rel, r);
    }
    assert_non_null(c);
    assert_string_equal(c->file, path);
    cfg_diags_clear(&d);
    return c;
}

/*
 * Loads text as "test.yaml" with flags; asserts the result (want_r) and that the
 * diagnostics are exactly want_diags. Returns the configuration (NULL on an error), owned
 * by the caller.
 */
static inline struct cfg *load_text(const char *text, unsigned flags, int want_r,
                                    const char *want_diags)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_string(text, strlen(text), "test.yaml", flags, &c, &d);
    _cleanup_free_ char *got = diags_text(&d, NULL);
    if (strcmp(got, want_diags) != 0) {
        /* cmocka cuts long messages short: the whole text goes to stderr first. */
        fprintf(stderr, "diagnostics differ:\n--- want\n%s--- got\n%s", want_diags, got);
        fail_msg("diagnostics differ");
    }
    assert_int_equal(r, want_r);
    if (want_r == 0)
        assert_non_null(c);
    else
        assert_null(c);
    cfg_diags_clear(&d);
    return c;
}

/*
 * Loads text as "test.yaml", which must load (its diagnostics are printed if it does not).
 * The configuration is owned by the caller.
 */
static inline struct cfg *load_yaml(const char *text)
{
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    int r = cfg_load_string(text, strlen(text), "test.yaml", 0, &c, &d);
    if (r < 0)
        cfg_diags_print(&d, stderr);
    cfg_diags_clear(&d);
    assert_int_equal(r, 0);
    return c;
}

/* A file dir/name of size bytes ('k') and mode; its path is owned by the caller. */
static inline char *write_key(const char *dir, const char *name, size_t size, mode_t mode)
{
    char *path = xasprintf("%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char *buf = xcalloc(1, size + 1);
    memset(buf, 'k', size);
    assert_int_equal(write(fd, buf, size), (ssize_t)size);
    free(buf);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

/* ---- Pieces of vigil.yaml ---- */

#define NET1  "networks: [{name: priv}]\n"
#define NODE1 "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1}}\n"
#define NODE2 "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2}}\n"
#define NODE3 "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3}}\n"
#define NODE4 "  - {name: n4, id: 4, addresses: {priv: 192.0.2.4}}\n"
/* Fencing for NODE1 alone, with an agent that exists for CFG_LOAD_CHECK_FILES. */
#define FENCE1                                                                                     \
    "fencing:\n  devices: [{name: d1, agent: /bin/true}]\n  nodes: {n1: {levels: [[d1]]}}\n"
/* What a file without a fencing section gets, when it has no errors. */
#define W_NOFENCE                                                                                  \
    "test.yaml:1:1: warning: no fencing section: fencing is disabled, so the services of a "       \
    "failed node are not recovered until it comes back (add fencing:, see vigil.yaml(5))\n"
/* The nodes section with NODE1, NODE2 and NODE3 (four lines). */
#define NODES3 "nodes:\n" NODE1 NODE2 NODE3
/* Three nodes on one network (priv), no fencing section; groups start on line 8. */
#define GHEAD       "cluster: {name: g}\n" NET1 NODES3 "groups:\n"
#define GHEAD_EMPTY "cluster: {name: g}\n" NET1 NODES3 "groups: []\n"
/* A one-resource group "web" on n1 and n2 (line 8), its resource "vip" on line 9. */
#define GWEB                                                                                       \
    "  - name: web\n    domain: [n1, n2]\n    resources:\n"                                        \
    "      - {name: vip, type: ip, address: 192.0.2.100/24, network: priv}\n"

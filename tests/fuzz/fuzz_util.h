/*
 * What the fuzz targets share: a failed property aborts with its name (so
 * libFuzzer keeps the input), a reason is checked to be one line, and the
 * fixed three-node configuration that the daemon's decoders are fuzzed
 * against (a single group, a clone and a promotable group; fencing on).
 * Header only: each target is one translation unit (scripts/fuzz).
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

/* Aborts with what failed when ok is false. */
static inline void fuzz_check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz: property failed: %s\n", what);
        abort();
    }
}

/* A reason for operators: non-empty, one line (no newline or carriage return). */
static inline bool fuzz_one_line(const char *s)
{
    return s && *s && !strpbrk(s, "\r\n");
}

/*
 * Three nodes (ids 1, 2, 3), fencing on; a single group, a clone and a
 * promotable group. The caller owns the result.
 */
static inline struct cfg *fuzz_cluster_cfg(void)
{
    static const char yaml[] =
        "cluster: {name: fuzz, key: /nonexistent/authkey}\n"
        "networks: [{name: priv}, {name: pub}]\n"
        "nodes:\n"
        "  - {name: n1, id: 1, addresses: {priv: 192.0.2.1, pub: 198.51.100.1}}\n"
        "  - {name: n2, id: 2, addresses: {priv: 192.0.2.2, pub: 198.51.100.2}}\n"
        "  - {name: n3, id: 3, addresses: {priv: 192.0.2.3, pub: 198.51.100.3}}\n"
        "fencing:\n"
        "  devices:\n"
        "    - {name: pdu, agent: /usr/sbin/fence_dummy, params: {type: file}}\n"
        "  nodes:\n"
        "    n1: {levels: [[pdu]]}\n"
        "    n2: {levels: [[pdu]]}\n"
        "    n3: {levels: [[pdu]]}\n"
        "groups:\n"
        "  - name: web\n"
        "    domain: [n1, n2]\n"
        "    restarts: {max: 2, within: 1min}\n"
        "    resources:\n"
        "      - {name: vip, type: ip, address: 198.51.100.100/24, network: pub}\n"
        "      - {name: www, type: process, command: [/bin/sleep, '100']}\n"
        "  - name: cache\n"
        "    domain: [n1, n2, n3]\n"
        "    clone: {copies: 2, notify: true}\n"
        "    resources:\n"
        "      - {name: memcached, type: process, command: [/bin/sleep, '100']}\n"
        "  - name: pg\n"
        "    domain: [n1, n2, n3]\n"
        "    promotable: {primaries: 1}\n"
        "    resources:\n"
        "      - {name: pgsqld, type: script, path: /bin/true, role: promotable}\n"
        "      - {name: pg-vip, type: ip, address: 198.51.100.50/24, network: pub, role: "
        "primary}\n";
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *c = NULL;
    if (cfg_load_string(yaml, strlen(yaml), "fuzz.yaml", 0, &c, &d) < 0) {
        cfg_diags_print(&d, stderr);
        fuzz_check(false, "the fixed configuration loads");
    }
    cfg_diags_clear(&d);
    return c;
}

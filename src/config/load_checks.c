/*
 * The checks of a resource (resources: checks in vigil.yaml): tcp, http and
 * exec health checks, each with its interval, timeout and failures. Pure.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "config/load.h"

/* The keys of a check; check_masks[t] has bit k set for each key that type t accepts. */
enum {
    CK_TYPE,
    CK_INTERVAL,
    CK_TIMEOUT,
    CK_FAILURES,
    CK_HOST,
    CK_PORT,
    CK_URL,
    CK_STATUS,
    CK_COMMAND,
    CK_MAX
};

static const char *const check_keys[CK_MAX] = {
    "type", "interval", "timeout", "failures", "host", "port", "url", "status", "command",
};
#define CK_COMMON (BIT(CK_TYPE) | BIT(CK_INTERVAL) | BIT(CK_TIMEOUT) | BIT(CK_FAILURES))
static const uint32_t check_masks[CFG_CHECK_TYPE_MAX] = {
    [CFG_CHECK_TCP] = CK_COMMON | BIT(CK_HOST) | BIT(CK_PORT),
    [CFG_CHECK_HTTP] = CK_COMMON | BIT(CK_URL) | BIT(CK_STATUS),
    [CFG_CHECK_EXEC] = CK_COMMON | BIT(CK_COMMAND),
};
static const char *const check_types[CFG_CHECK_TYPE_MAX] = {"tcp", "http", "exec"};
static const char *const check_kinds[CFG_CHECK_TYPE_MAX] = {"a tcp check", "an http check",
                                                            "an exec check"};
static const struct typed_schema check_schema = {
    check_keys, CK_MAX, check_masks, check_types, CFG_CHECK_TYPE_MAX, "checks", BIT(CK_TYPE),
};

static int load_check_type(struct loader *ld, const struct ynode *n, const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: type", who);
    if (!scalar_ok(ld, n, label, "tcp, http or exec"))
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(check_types); i++)
        if (!ytree_has_nul(n) && strcmp(n->text, check_types[i]) == 0)
            return (int)i;
    _cleanup_free_ char *q = report_quote_node(n);
    const char *sug =
        ytree_has_nul(n) ? NULL : report_suggest(n->text, check_types, ARRAY_SIZE(check_types));
    if (sug)
        report_error(ld, n, "%s: unknown check type %s; did you mean '%s'?", who, q, sug);
    else
        report_error(ld, n, "%s: unknown check type %s (the types are tcp, http and exec)", who, q);
    return -1;
}

/* A tcp check's host: a numeric address as written, or localhost as 127.0.0.1. */
static void load_check_host(struct loader *ld, struct cfg_check *ck, const struct ynode *n,
                            const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: host", who);
    if (!scalar_ok(ld, n, label, "a numeric IPv4 or IPv6 address, or localhost"))
        return;
    struct addr_bin bin;
    if (!ytree_has_nul(n) && strcmp(n->text, "localhost") == 0) {
        ck->host = xstrdup("127.0.0.1");
    } else if (scalar_addr(n, &bin)) {
        ck->host = xstrdup(n->text);
    } else {
        _cleanup_free_ char *q = report_quote_node(n);
        report_error(
            ld, n,
            "%s %s must be a numeric IPv4 or IPv6 address, or localhost (checks do not look up "
            "names)",
            label, q);
    }
}

/*
 * Splits url (http://HOST[:PORT][/PATH]) into ck's host, port and path.
 * Returns NULL, or why the url is refused (a static string).
 */
static const char *parse_http_url(const char *url, struct cfg_check *ck)
{
    static const char bad_host[] = "the host must be a numeric IPv4 address, an IPv6 address in "
                                   "brackets or localhost (checks do not look up names)";
    if (strncmp(url, "http://", 7) != 0)
        return "it must start with http://";
    const char *p = url + 7;
    char host[64];
    unsigned char bytes[16];
    if (*p == '[') {
        const char *close = strchr(p, ']');
        size_t hl = close ? (size_t)(close - p - 1) : 0;
        if (!close || hl >= sizeof(host))
            return bad_host;
        memcpy(host, p + 1, hl);
        host[hl] = '\0';
        if (inet_pton(AF_INET6, host, bytes) != 1)
            return bad_host;
        p = close + 1;
    } else {
        size_t hl = strcspn(p, ":/");
        if (hl == 0 || hl >= sizeof(host))
            return bad_host;
        memcpy(host, p, hl);
        host[hl] = '\0';
        if (strcmp(host, "localhost") == 0)
            strcpy(host, "127.0.0.1");
        else if (inet_pton(AF_INET, host, bytes) != 1)
            return bad_host;
        p += hl;
    }
    unsigned long port = 80;
    if (*p == ':') {
        size_t digits = strspn(++p, "0123456789");
        port = digits >= 1 && digits <= 5 ? strtoul(p, NULL, 10) : 0;
        if (port < 1 || port > 65535)
            return "the port must be a number from 1 to 65535";
        p += digits;
    }
    if (*p != '\0' && *p != '/')
        return "the host or port is followed by something other than a path";
    for (const char *s = p; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return "the path may contain only printable ASCII characters, without spaces "
                   "(percent-encode the others)";
    ck->host = xstrdup(host);
    ck->port = (uint16_t)port;
    ck->path = xstrdup(*p ? p : "/");
    return NULL;
}

static void load_check_url(struct loader *ld, struct cfg_check *ck, const struct ynode *n,
                           const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: url", who);
    if (!scalar_ok(ld, n, label, "an url such as http://127.0.0.1:8080/health"))
        return;
    _cleanup_free_ char *q = report_quote_node(n);
    if (!ytree_has_nul(n) && strncasecmp(n->text, "https://", 8) == 0) {
        report_error(
            ld, n,
            "%s %s: https checks are not supported; use a tcp check or an exec check with curl",
            label, q);
        return;
    }
    const char *why =
        ytree_has_nul(n) ? "it contains a NUL character" : parse_http_url(n->text, ck);
    if (why) {
        report_error(ld, n, "%s %s is not usable: %s", label, q, why);
        return;
    }
    ck->url = xstrdup(n->text);
}

/* interval, timeout and failures, with the defaults; the timeout stays below the interval. */
static void load_check_timing(struct loader *ld, struct cfg_check *ck, struct ynode **f,
                              const char *who)
{
    uint64_t v;
    bool interval_ok = true;
    ck->interval_ms = CFG_DEFAULT_CHECK_INTERVAL;
    ck->failures = CFG_DEFAULT_CHECK_FAILURES;
    if (f[CK_INTERVAL]) {
        _cleanup_free_ char *label = xasprintf("%s: interval", who);
        interval_ok = scalar_duration(ld, f[CK_INTERVAL], label, CFG_MIN_CHECK_INTERVAL,
                                      CFG_MAX_CHECK_INTERVAL_MS, &v);
        if (interval_ok)
            ck->interval_ms = v;
    }
    if (f[CK_FAILURES]) {
        _cleanup_free_ char *label = xasprintf("%s: failures", who);
        if (scalar_uint(ld, f[CK_FAILURES], label, 1, CFG_MAX_CHECK_FAILURES, &v))
            ck->failures = (uint32_t)v;
    }
    if (!f[CK_TIMEOUT]) {
        ck->timeout_ms = ck->interval_ms <= CFG_DEFAULT_CHECK_TIMEOUT ? ck->interval_ms / 2
                                                                      : CFG_DEFAULT_CHECK_TIMEOUT;
        return;
    }
    _cleanup_free_ char *label = xasprintf("%s: timeout", who);
    if (!scalar_duration(ld, f[CK_TIMEOUT], label, CFG_MIN_CHECK_TIMEOUT_MS, CFG_MAX_TIMEOUT_MS,
                         &v))
        return;
    ck->timeout_ms = v;
    if (interval_ok && v >= ck->interval_ms) {
        char t[32], i[32];
        report_error(ld, f[CK_TIMEOUT], "%s: timeout %s must be shorter than the interval (%s%s)",
                     who, dur_format(v, t), dur_format(ck->interval_ms, i),
                     f[CK_INTERVAL] ? "" : ", the default");
    }
}

static void load_check(struct loader *ld, struct cfg_check *ck, struct ynode *e, const char *rwho,
                       size_t ci)
{
    _cleanup_free_ char *who = xasprintf("check #%zu of %s", ci + 1, rwho);
    _cleanup_free_ char *where = xasprintf("in %s", who);
    if (e->type != YN_MAPPING) {
        report_type(ld, e, who, "a mapping such as {type: tcp, host: 127.0.0.1, port: 80}");
        return;
    }
    struct ynode *tn = walk_find(e, "type");
    int type = tn ? load_check_type(ld, tn, who) : -1;
    struct ynode *f[CK_MAX];
    uint32_t suggested;
    walk_typed(ld, e, who, where, &check_schema, type, type >= 0 ? check_kinds[type] : NULL, f,
               &suggested);
    load_check_timing(ld, ck, f, who);
    if (type < 0)
        return;
    ck->type = (enum cfg_check_type)type;
    static const uint32_t needs[CFG_CHECK_TYPE_MAX] = {
        [CFG_CHECK_TCP] = BIT(CK_HOST) | BIT(CK_PORT),
        [CFG_CHECK_HTTP] = BIT(CK_URL),
        [CFG_CHECK_EXEC] = BIT(CK_COMMAND),
    };
    for (size_t k = 0; k < CK_MAX; k++)
        if ((needs[type] & BIT(k)) && !f[k] && !(suggested & BIT(k)))
            report_error(ld, e, "%s (%s) needs '%s'", who, check_types[type], check_keys[k]);
    uint64_t v;
    if (f[CK_HOST])
        load_check_host(ld, ck, f[CK_HOST], who);
    if (f[CK_PORT]) {
        _cleanup_free_ char *label = xasprintf("%s: port", who);
        if (scalar_uint(ld, f[CK_PORT], label, 1, 65535, &v))
            ck->port = (uint16_t)v;
    }
    if (f[CK_URL])
        load_check_url(ld, ck, f[CK_URL], who);
    if (f[CK_STATUS]) {
        _cleanup_free_ char *label = xasprintf("%s: status", who);
        if (scalar_uint(ld, f[CK_STATUS], label, 100, 599, &v))
            ck->status = (uint32_t)v;
    }
    if (f[CK_COMMAND])
        walk_command(ld, f[CK_COMMAND], who, &ck->argv, &ck->argc);
}

/* checks: a list of checks of the resource who names. */
void load_checks(struct loader *ld, struct cfg_resource *r, struct ynode *n, const char *who)
{
    _cleanup_free_ char *label = xasprintf("%s: checks", who);
    if (n->type != YN_SEQUENCE) {
        report_type(ld, n, label, "a list of checks (- {type: tcp, host: 127.0.0.1, port: 80})");
        return;
    }
    size_t count = walk_cap(ld, n, CFG_MAX_CHECKS, who, "checks");
    if (count == 0)
        return;
    r->checks = xcalloc(count, sizeof(*r->checks));
    r->n_checks = count;
    for (size_t i = 0; i < count; i++)
        load_check(ld, &r->checks[i], n->items[i], who, i);
}

/*
 * The loader's scalar getters: whole numbers, durations, booleans, keywords,
 * names, paths and addresses, each checked and reported at its node. Pure:
 * no I/O.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "config/load.h"

/* A scalar that is not null, else reported as the wrong type. */
bool scalar_ok(struct loader *ld, const struct ynode *n, const char *label, const char *expected)
{
    if (n->type == YN_SCALAR && !ytree_is_null(n))
        return true;
    report_type(ld, n, label, expected);
    return false;
}

/* A plain decimal number within lo..hi. */
bool scalar_uint(struct loader *ld, const struct ynode *n, const char *label, uint64_t lo,
                 uint64_t hi, uint64_t *ret)
{
    _cleanup_free_ char *expected = xasprintf("a whole number from %llu to %llu",
                                              (unsigned long long)lo, (unsigned long long)hi);
    if (!scalar_ok(ld, n, label, expected))
        return false;
    uint64_t v = 0;
    bool digits = n->plain && n->len > 0 && !ytree_has_nul(n);
    for (size_t i = 0; digits && i < n->len; i++) {
        char ch = n->text[i];
        if (ch < '0' || ch > '9') {
            digits = false;
        } else if (v <= hi) {
            v = v * 10 + (uint64_t)(ch - '0'); /* cannot overflow: hi < 2^63 / 10 here */
        }
    }
    if (!digits) {
        _cleanup_free_ char *got = report_describe(n);
        if (!n->plain && n->len > 0 && strspn(n->text, "0123456789") == n->len)
            report_error(ld, n, "%s must be %s, not %s (write it without quotes)", label, expected,
                         got);
        else
            report_type(ld, n, label, expected);
        return false;
    }
    if (v < lo || v > hi) {
        report_error(ld, n, "%s is %s; it must be from %llu to %llu", label, n->text,
                     (unsigned long long)lo, (unsigned long long)hi);
        return false;
    }
    *ret = v;
    return true;
}

/* A plain decimal number within lo..hi, with a leading '-' when negative. */
bool scalar_int(struct loader *ld, const struct ynode *n, const char *label, int64_t lo, int64_t hi,
                int64_t *ret)
{
    _cleanup_free_ char *expected =
        xasprintf("a whole number from %lld to %lld", (long long)lo, (long long)hi);
    if (!scalar_ok(ld, n, label, expected))
        return false;
    bool neg = n->len > 1 && n->text[0] == '-';
    size_t start = neg ? 1 : 0;
    uint64_t mag = 0, limit = (uint64_t)(neg ? -lo : hi); /* callers keep |lo|, hi < 2^62 */
    bool digits = n->plain && n->len > start && !ytree_has_nul(n);
    bool over = false;
    for (size_t i = start; digits && i < n->len; i++) {
        char ch = n->text[i];
        if (ch < '0' || ch > '9')
            digits = false;
        else if (mag > limit)
            over = true;
        else
            mag = mag * 10 + (uint64_t)(ch - '0');
    }
    if (!digits) {
        _cleanup_free_ char *got = report_describe(n);
        const char *t = n->text + (n->len > 1 && n->text[0] == '-');
        if (!n->plain && n->len > 0 && !ytree_has_nul(n) && *t &&
            strspn(t, "0123456789") == strlen(t))
            report_error(ld, n, "%s must be %s, not %s (write it without quotes)", label, expected,
                         got);
        else
            report_type(ld, n, label, expected);
        return false;
    }
    if (over || mag > limit || (neg ? -(int64_t)mag < lo : (int64_t)mag < lo)) {
        report_error(ld, n, "%s is %s; it must be from %lld to %lld", label, n->text, (long long)lo,
                     (long long)hi);
        return false;
    }
    *ret = neg ? -(int64_t)mag : (int64_t)mag;
    return true;
}

static const char *const dur_units[] = {"ms", "s", "min", "h"};
static const uint64_t dur_unit_ms[] = {1, 1000, 60000, 3600000};

/*
 * For a value like "1.5s" that dur_parse refuses, finds the exact spelling
 * in milliseconds ("1500ms"). Returns a string owned by the caller, or NULL.
 */
static char *fraction_hint(const char *s)
{
    const char *p = s;
    uint64_t whole = 0, frac = 0, scale = 1;
    if (*p < '0' || *p > '9')
        return NULL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > 1000000000)
            return NULL;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p++ != '.' || *p < '0' || *p > '9')
        return NULL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (scale > 1000000000)
            return NULL;
        frac = frac * 10 + (uint64_t)(*p - '0');
        scale *= 10;
    }
    for (size_t i = 0; i < ARRAY_SIZE(dur_units); i++) {
        if (strcmp(p, dur_units[i]) != 0)
            continue;
        uint64_t u = dur_unit_ms[i];
        if ((frac * u) % scale != 0)
            return NULL;
        char buf[32];
        return xstrdup(dur_format(whole * u + frac * u / scale, buf));
    }
    return NULL;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A duration string ("100ms") within lo..hi milliseconds. */
bool scalar_duration(struct loader *ld, const struct ynode *n, const char *label, uint64_t lo,
                     uint64_t hi, uint64_t *ret)
{
    static const char form[] =
        "write a whole number followed by ms, s, min or h, with no space (e.g. 100ms, 5s, 2min)";
    if (!scalar_ok(ld, n, label, "a duration such as 100ms, 5s or 2min"))
        return false;
    _cleanup_free_ char *q = report_quote_node(n);
    uint64_t v = 0;
    int r = ytree_has_nul(n) ? -EINVAL : dur_parse(n->text, &v);
    char lo_s[32], hi_s[32];
    dur_format(lo, lo_s);
    dur_format(hi, hi_s);
    if (r == -ERANGE || (r == 0 && (v < lo || v > hi))) {
        report_error(ld, n, "%s is %s; it must be from %s to %s", label, n->text, lo_s, hi_s);
        return false;
    }
    if (r < 0) {
        _cleanup_free_ char *hint = ytree_has_nul(n) ? NULL : fraction_hint(n->text);
        if (hint)
            report_error(ld, n, "%s: %s is not a duration: fractions are not accepted; write %s",
                         label, q, hint);
        else if (!ytree_has_nul(n) && all_digits(n->text))
            report_error(ld, n,
                         "%s: %s is not a duration: it needs a unit; write %sms (or s, min, h)",
                         label, q, n->text);
        else
            report_error(ld, n, "%s: %s is not a duration; %s", label, q, form);
        return false;
    }
    *ret = v;
    return true;
}

/* true or false (YAML 1.2 spellings), else reports, with a hint for yes, no, on, off. */
bool scalar_bool(struct loader *ld, const struct ynode *n, const char *label, bool *ret)
{
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    static const char *const yes_like[] = {"true", "yes", "y", "on"};
    static const char *const no_like[] = {"false", "no", "n", "off"};
    if (!scalar_ok(ld, n, label, "true or false"))
        return false;
    for (size_t i = 0; n->plain && !ytree_has_nul(n) && i < ARRAY_SIZE(yes); i++) {
        if (strcmp(n->text, yes[i]) == 0 || strcmp(n->text, no[i]) == 0) {
            *ret = strcmp(n->text, yes[i]) == 0;
            return true;
        }
    }
    const char *meant = NULL;
    for (size_t i = 0; !ytree_has_nul(n) && i < ARRAY_SIZE(yes_like); i++) {
        if (strcasecmp(n->text, yes_like[i]) == 0)
            meant = "true";
        else if (strcasecmp(n->text, no_like[i]) == 0)
            meant = "false";
    }
    _cleanup_free_ char *got = report_describe(n);
    if (meant && !n->plain && strcasecmp(n->text, meant) == 0)
        report_error(ld, n, "%s must be true or false, not %s (write it without quotes)", label,
                     got);
    else if (meant)
        report_error(ld, n, "%s must be true or false, not %s; did you mean '%s'?", label, got,
                     meant);
    else
        report_type(ld, n, label, "true or false");
    return false;
}

/* A keyword among names[] (NULL-free), else reports; returns its index or -1. */
int scalar_keyword(struct loader *ld, const struct ynode *n, const char *label,
                   const char *const *names, size_t n_names)
{
    _cleanup_free_ char *choices = report_join(names, n_names, " or ");
    if (!scalar_ok(ld, n, label, choices))
        return -1;
    for (size_t i = 0; i < n_names; i++)
        if (!ytree_has_nul(n) && strcmp(n->text, names[i]) == 0)
            return (int)i;
    _cleanup_free_ char *q = report_quote_node(n);
    const char *sug = ytree_has_nul(n) ? NULL : report_suggest(n->text, names, n_names);
    if (sug)
        report_error(ld, n, "%s must be %s, not %s; did you mean '%s'?", label, choices, q, sug);
    else
        report_error(ld, n, "%s must be %s, not %s", label, choices, q);
    return -1;
}

/* len bytes of allowed characters, 1..max, optionally starting with a letter or digit. */
bool scalar_chars_ok(const char *s, size_t len, size_t max, const char *extra, bool alnum_first)
{
    if (len < 1 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (i == 0 && alnum_first && !alnum)
            return false;
        if (!alnum && (ch == '\0' || !strchr(extra, ch)))
            return false;
    }
    return true;
}

/* A scalar made of allowed characters (see scalar_chars_ok). */
bool scalar_name_ok(const struct ynode *n, size_t max, const char *extra, bool alnum_first)
{
    return !ytree_has_nul(n) && scalar_chars_ok(n->text, n->len, max, extra, alnum_first);
}

/*
 * True if n's text can go on one key=value line of an agent's input and print
 * back unchanged: no NUL, no control character (C0, DEL or C1) and no Unicode
 * line or paragraph separator.
 */
bool scalar_one_line(const struct ynode *n)
{
    const unsigned char *p = (const unsigned char *)n->text;
    for (size_t i = 0; i < n->len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
        if (p[i] == 0xc2 && i + 1 < n->len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            return false;
        if (p[i] == 0xe2 && i + 2 < n->len && p[i + 1] == 0x80 &&
            (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
            return false;
    }
    return true;
}

/*
 * A name: a scalar checked with scalar_name_ok. rule says what is allowed,
 * for the message. Returns the text (owned by the tree) or NULL.
 */
const char *scalar_name(struct loader *ld, const struct ynode *n, const char *label,
                        const char *what, size_t max, const char *extra, bool alnum_first,
                        const char *rule)
{
    _cleanup_free_ char *expected = xasprintf("a %s (%s)", what, rule);
    if (!scalar_ok(ld, n, label, expected))
        return NULL;
    if (!scalar_name_ok(n, max, extra, alnum_first)) {
        _cleanup_free_ char *q = report_quote_node(n);
        report_error(ld, n, "%s %s is not a valid %s: use %s", label, q, what, rule);
        return NULL;
    }
    return n->text;
}

/*
 * An absolute path of at most KEY_PATH_MAX bytes with no control characters.
 * A bare command name gets the hint dir_hint/NAME when dir_hint is given.
 * Returns the text (owned by the tree) or NULL after reporting.
 */
const char *scalar_path(struct loader *ld, const struct ynode *n, const char *label,
                        const char *what, const char *dir_hint)
{
    _cleanup_free_ char *expected = xasprintf("the absolute path of %s", what);
    if (!scalar_ok(ld, n, label, expected))
        return NULL;
    _cleanup_free_ char *q = report_quote_node(n);
    if (n->text[0] != '/') {
        if (dir_hint && scalar_name_ok(n, 63, "._-", true))
            report_error(ld, n, "%s %s must be an absolute path (starting with /), such as %s%s",
                         label, q, dir_hint, n->text);
        else
            report_error(ld, n, "%s %s must be an absolute path (starting with /)", label, q);
        return NULL;
    }
    if (n->len > KEY_PATH_MAX || !scalar_one_line(n)) {
        report_error(
            ld, n, "%s %s is not a usable path: write at most %d bytes, without control characters",
            label, q, KEY_PATH_MAX);
        return NULL;
    }
    return n->text;
}

/* A numeric IPv4 or IPv6 address, parsed into *ret; reports nothing. */
bool scalar_addr(const struct ynode *n, struct addr_bin *ret)
{
    if (ytree_has_nul(n) || n->len > 64)
        return false;
    if (inet_pton(AF_INET, n->text, ret->bytes) == 1) {
        ret->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, n->text, ret->bytes) == 1) {
        ret->family = AF_INET6;
        return true;
    }
    return false;
}

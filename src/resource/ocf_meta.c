/*
 * The meta-data an OCF agent prints: just enough XML to read its action
 * defaults and required parameters. A small scanner, not a general XML
 * parser: it checks that elements nest and close, reads attributes in any
 * order with either quote, decodes character references, and skips
 * comments, CDATA, processing instructions and the DOCTYPE. Anything else
 * it does not understand is refused (-EINVAL), never guessed at.
 */
#include "resource/res_agent.h"
#include "base/util.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define MAX_ATTRS 64 /* per element; more is not meta-data */

struct span {
    const char *s;
    size_t n;
};

struct attr {
    struct span name;
    char *value; /* decoded */
};

struct tag {
    struct span name;
    struct attr attrs[MAX_ATTRS];
    size_t n_attrs;
    bool self_closing;
};

struct scanner {
    const char *p, *end;
};

static bool span_is(struct span s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.s, lit, s.n) == 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

static bool name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static void skip_space(struct scanner *sc)
{
    while (sc->p < sc->end && is_space(*sc->p))
        sc->p++;
}

static bool starts(const struct scanner *sc, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(sc->end - sc->p) >= n && memcmp(sc->p, lit, n) == 0;
}

/* Moves past the next occurrence of lit; false if there is none. */
static bool skip_past(struct scanner *sc, const char *lit)
{
    const char *f = memmem(sc->p, (size_t)(sc->end - sc->p), lit, strlen(lit));
    if (!f)
        return false;
    sc->p = f + strlen(lit);
    return true;
}

static bool scan_name(struct scanner *sc, struct span *ret)
{
    if (sc->p >= sc->end || !name_start((unsigned char)*sc->p))
        return false;
    const char *s = sc->p;
    while (sc->p < sc->end && name_char((unsigned char)*sc->p))
        sc->p++;
    *ret = (struct span){s, (size_t)(sc->p - s)};
    return true;
}

/* Appends code point cp as UTF-8; false for what XML does not allow. */
static bool put_utf8(char **out, unsigned long cp)
{
    unsigned char *o = (unsigned char *)*out;
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xc0 | (cp >> 6));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xe0 | (cp >> 12));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (unsigned char)(0xf0 | (cp >> 18));
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    *out = (char *)o;
    return true;
}

/* Decodes n bytes of an attribute value; NULL if an entity is unknown or malformed. */
static char *decode_value(const char *s, size_t n)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    /* A reference is never shorter than what it stands for (4 bytes at most). */
    char *out = xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n;) {
        if (s[i] != '&') {
            *o++ = s[i++];
            continue;
        }
        const char *semi = memchr(s + i, ';', n - i);
        if (!semi)
            goto bad;
        const char *ref = s + i + 1;
        size_t rn = (size_t)(semi - ref);
        bool ok = false;
        if (rn >= 2 && ref[0] == '#') {
            bool hex = ref[1] == 'x';
            size_t k = hex ? 2 : 1;
            unsigned long cp = 0;
            ok = k < rn;
            for (; ok && k < rn; k++) {
                char c = ref[k];
                int d = c >= '0' && c <= '9'          ? c - '0'
                        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                      : -1;
                ok = d >= 0 && cp <= 0x10ffff;
                cp = cp * (hex ? 16 : 10) + (unsigned long)(d < 0 ? 0 : d);
            }
            ok = ok && put_utf8(&o, cp);
        } else {
            for (size_t k = 0; k < ARRAY_SIZE(named) && !ok; k++) {
                if (rn == strlen(named[k].name) && memcmp(ref, named[k].name, rn) == 0) {
                    *o++ = named[k].c;
                    ok = true;
                }
            }
        }
        if (!ok)
            goto bad;
        i = (size_t)(semi - s) + 1;
    }
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static void tag_clear(struct tag *t)
{
    for (size_t i = 0; i < t->n_attrs; i++)
        free(t->attrs[i].value);
    t->n_attrs = 0;
}

static const char *tag_attr(const struct tag *t, const char *name)
{
    for (size_t i = 0; i < t->n_attrs; i++)
        if (span_is(t->attrs[i].name, name))
            return t->attrs[i].value;
    return NULL;
}

/* After "<": the element's name, attributes and "/>" or ">". -EINVAL if malformed. */
static int scan_start_tag(struct scanner *sc, struct tag *t)
{
    t->n_attrs = 0;
    t->self_closing = false;
    if (!scan_name(sc, &t->name))
        return -EINVAL;
    for (;;) {
        const char *before = sc->p;
        skip_space(sc);
        if (starts(sc, "/>")) {
            sc->p += 2;
            t->self_closing = true;
            return 0;
        }
        if (starts(sc, ">")) {
            sc->p++;
            return 0;
        }
        struct span name;
        if (sc->p == before || t->n_attrs == MAX_ATTRS || !scan_name(sc, &name))
            return -EINVAL;
        skip_space(sc);
        if (!starts(sc, "="))
            return -EINVAL;
        sc->p++;
        skip_space(sc);
        if (sc->p >= sc->end || (*sc->p != '"' && *sc->p != '\''))
            return -EINVAL;
        char q = *sc->p++;
        const char *v = sc->p;
        const char *close = memchr(v, q, (size_t)(sc->end - v));
        if (!close || memchr(v, '<', (size_t)(close - v)))
            return -EINVAL;
        sc->p = close + 1;
        for (size_t i = 0; i < t->n_attrs; i++)
            if (t->attrs[i].name.n == name.n && memcmp(t->attrs[i].name.s, name.s, name.n) == 0)
                return -EINVAL;
        char *value = decode_value(v, (size_t)(close - v));
        if (!value)
            return -EINVAL;
        t->attrs[t->n_attrs++] = (struct attr){name, value};
    }
}

/* After "<!" of a DOCTYPE: up to its closing '>', past quotes and an internal subset. */
static bool skip_doctype(struct scanner *sc)
{
    int brackets = 0;
    while (sc->p < sc->end) {
        char c = *sc->p++;
        if (c == '"' || c == '\'') {
            const char *close = memchr(sc->p, c, (size_t)(sc->end - sc->p));
            if (!close)
                return false;
            sc->p = close + 1;
        } else if (c == '[') {
            brackets++;
        } else if (c == ']') {
            brackets--;
        } else if (c == '>' && brackets <= 0) {
            return brackets == 0;
        }
    }
    return false;
}

/*
 * A duration as agents write them: a number with an optional unit, ms/msec,
 * s/sec (the default), m/min, h/hr. 0 or -EINVAL.
 */
static int parse_duration(const char *s, uint64_t *ret_ms)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"", 1000},   {"s", 1000},    {"sec", 1000},  {"ms", 1},      {"msec", 1},
                 {"m", 60000}, {"min", 60000}, {"h", 3600000}, {"hr", 3600000}};
    while (is_space(*s))
        s++;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    while (is_space(*s))
        s++;
    const char *u = s;
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
        s++;
    size_t un = (size_t)(s - u);
    while (is_space(*s))
        s++;
    if (*s)
        return -EINVAL;
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        if (un == strlen(units[i].unit) && strncasecmp(u, units[i].unit, un) == 0) {
            if (v > UINT64_MAX / units[i].ms)
                return -EINVAL;
            *ret_ms = v * units[i].ms;
            return 0;
        }
    }
    return -EINVAL;
}

static bool is_true(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
                 strcasecmp(v, "on") == 0);
}

/* What the scan keeps while it walks the document. */
struct meta_state {
    struct ocf_meta m;
    size_t n_required, cap_required;
    bool have_start, have_stop;
    int monitor_rank; /* how well the chosen monitor fits (see on_action) */
};

static int on_parameter(struct meta_state *st, const struct tag *t)
{
    const char *name = tag_attr(t, "name");
    if (!name || !*name)
        return -EINVAL;
    if (!is_true(tag_attr(t, "required")))
        return 0;
    xgrow((void **)&st->m.required, &st->cap_required, st->n_required + 2, sizeof(*st->m.required));
    st->m.required[st->n_required++] = xstrdup(name);
    st->m.required[st->n_required] = NULL;
    return 0;
}

static int on_action(struct meta_state *st, const struct tag *t)
{
    const char *name = tag_attr(t, "name");
    if (!name)
        return -EINVAL;
    const char *timeout = tag_attr(t, "timeout");
    const char *interval = tag_attr(t, "interval");
    uint64_t to = 0, iv = 0;
    if ((timeout && parse_duration(timeout, &to) < 0) ||
        (interval && parse_duration(interval, &iv) < 0))
        return -EINVAL;
    if (strcmp(name, "start") == 0 && !st->have_start) {
        st->have_start = true;
        st->m.start_timeout_ms = to;
    } else if (strcmp(name, "stop") == 0 && !st->have_stop) {
        st->have_stop = true;
        st->m.stop_timeout_ms = to;
    } else if (strcmp(name, "monitor") == 0) {
        /*
         * Promotable agents list a monitor per role, others one per depth:
         * the plain one (no role, depth 0) is the one that is run.
         */
        const char *depth = tag_attr(t, "depth");
        int rank = tag_attr(t, "role") ? 1 : (!depth || strcmp(depth, "0") == 0) ? 3 : 2;
        if (rank > st->monitor_rank) {
            st->monitor_rank = rank;
            st->m.monitor_timeout_ms = to;
            st->m.monitor_interval_ms = iv;
        }
    }
    return 0;
}

/* Skips what is not an element ("<!--", "<?", "<![CDATA[", "<!DOCTYPE"): 1 if it did, or -EINVAL.
 */
static int skip_markup(struct scanner *sc, size_t depth, bool seen_root)
{
    if (starts(sc, "<!--"))
        return skip_past(sc, "-->") ? 1 : -EINVAL;
    if (starts(sc, "<?"))
        return skip_past(sc, "?>") ? 1 : -EINVAL;
    if (starts(sc, "<![CDATA["))
        return depth > 0 && skip_past(sc, "]]>") ? 1 : -EINVAL;
    if (starts(sc, "<!DOCTYPE")) {
        sc->p += 2;
        return !seen_root && skip_doctype(sc) ? 1 : -EINVAL;
    }
    return starts(sc, "<!") ? -EINVAL : 0;
}

static int scan_document(struct scanner *sc, struct meta_state *st)
{
    struct span *stack = NULL;
    size_t depth = 0, cap = 0;
    bool seen_root = false;
    struct tag t = {0};
    int e = 0;
    while (e == 0 && sc->p < sc->end) {
        if (*sc->p != '<') {
            const char *lt = memchr(sc->p, '<', (size_t)(sc->end - sc->p));
            const char *stop = lt ? lt : sc->end;
            /* Only blank space outside the root element. */
            for (; depth == 0 && sc->p < stop && e == 0; sc->p++)
                if (!is_space(*sc->p))
                    e = -EINVAL;
            sc->p = stop;
            continue;
        }
        int k = skip_markup(sc, depth, seen_root);
        if (k != 0) {
            e = k < 0 ? k : 0;
            continue;
        }
        if (starts(sc, "</")) {
            sc->p += 2;
            struct span name;
            if (depth == 0 || !scan_name(sc, &name) || name.n != stack[depth - 1].n ||
                memcmp(name.s, stack[depth - 1].s, name.n) != 0) {
                e = -EINVAL;
                continue;
            }
            skip_space(sc);
            if (!starts(sc, ">")) {
                e = -EINVAL;
                continue;
            }
            sc->p++;
            depth--;
            continue;
        }
        sc->p++;
        e = scan_start_tag(sc, &t);
        if (e == 0 && depth == 0 && (seen_root || !span_is(t.name, "resource-agent")))
            e = -EINVAL;
        seen_root = true;
        if (e == 0 && depth == 2 && span_is(stack[1], "parameters") && span_is(t.name, "parameter"))
            e = on_parameter(st, &t);
        if (e == 0 && depth == 2 && span_is(stack[1], "actions") && span_is(t.name, "action"))
            e = on_action(st, &t);
        if (e == 0 && !t.self_closing) {
            xgrow((void **)&stack, &cap, depth + 1, sizeof(*stack));
            stack[depth++] = t.name;
        }
        tag_clear(&t);
    }
    tag_clear(&t);
    free(stack);
    if (e == 0 && (!seen_root || depth != 0))
        e = -EINVAL;
    return e;
}

int ocf_meta_parse(const char *xml, struct ocf_meta *ret)
{
    struct scanner sc = {xml, xml + strlen(xml)};
    if (starts(&sc, "\xef\xbb\xbf"))
        sc.p += 3;
    struct meta_state st = {0};
    xgrow((void **)&st.m.required, &st.cap_required, 1, sizeof(*st.m.required));
    st.m.required[0] = NULL;
    int e = scan_document(&sc, &st);
    if (e < 0) {
        ocf_meta_clear(&st.m);
        return e;
    }
    *ret = st.m;
    return 0;
}

void ocf_meta_clear(struct ocf_meta *m)
{
    if (!m)
        return;
    for (char **p = m->required; p && *p; p++)
        free(*p);
    free(m->required);
    *m = (struct ocf_meta){0};
}

/*
 * OCF meta-data read with libxml2 (see ocf_meta.h). The parse options are
 * the safety: XML_PARSE_NONET (no network), and neither XML_PARSE_NOENT
 * (entities stay references, never expanded into the tree), nor
 * XML_PARSE_DTDLOAD, XML_PARSE_DTDATTR or XML_PARSE_DTDVALID (the external
 * DTD every agent names, "ra-api-1.dtd", is never opened, and no default
 * attribute from a DTD is added). XML_PARSE_HUGE stays off, so libxml2's
 * limits on depth, name and text sizes and entity amplification hold.
 * Errors are captured per parse through the context's structured error
 * handler; XML_PARSE_NOERROR and XML_PARSE_NOWARNING, and a silent generic
 * error handler for the length of the parse, keep libxml2 from printing.
 *
 * A document with any error is refused, not only one that is not
 * well-formed: libxml2 reports some problems as errors and carries on (an
 * undeclared entity in a document that names an external DTD is dropped
 * from an attribute value; a namespace prefix that is not declared), and
 * what it would then give would be a guess.
 */
#include "resource/ocf_meta.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#define PARSE_OPTIONS                                                                              \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES)
#define ERR_VALUE_MAX 40 /* bytes of an attribute value quoted in an error */

/* What the walk keeps while it reads the document. */
struct meta_state {
    struct ocf_meta m;
    size_t n_required, cap_required;
    bool have_start, have_stop;
    int monitor_rank; /* how well the chosen monitor fits (see on_action) */
    char *err;        /* the first problem, owned */
};

/* Records the first problem, at the line of node (NULL: no line). Returns -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
fail(struct meta_state *st, const xmlNode *node, const char *fmt, ...)
{
    if (st->err)
        return -EINVAL;
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    long line = node ? xmlGetLineNo(node) : -1;
    st->err = line > 0 ? xasprintf("line %ld: %s", line, msg) : xstrdup(msg);
    return -EINVAL;
}

/* ---- libxml2's errors ---- */

/* The first error libxml2 reports, "line N: MESSAGE" (its first line only), owned. */
struct xml_errors {
    char *first;
};

/* The structured error handler of one parse: ctx is its parser context. */
static void on_xml_error(void *ctx, xmlErrorPtr e)
{
    struct xml_errors *xe = ctx ? ((xmlParserCtxtPtr)ctx)->_private : NULL;
    if (!xe || xe->first || !e || e->level < XML_ERR_ERROR)
        return;
    const char *msg = e->message ? e->message : "malformed XML";
    size_t n = strcspn(msg, "\r\n");
    xe->first = e->line > 0 ? xasprintf("line %d: %.*s", e->line, (int)n, msg)
                            : xasprintf("%.*s", (int)n, msg);
}

/* Messages libxml2 prints outside a parser context: dropped (library code does not log). */
static void __attribute__((format(printf, 2, 3))) on_generic_error(void *ctx, const char *fmt, ...)
{
}

/* Makes an error text one line of printable ASCII, whatever came from the document. */
static void ascii_only(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < ' ' || *p > '~')
            *p = '?';
}

/* ---- attributes ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* An element without a namespace prefix (a default namespace is fine) and with this name. */
static bool element_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && (!n->ns || !n->ns->prefix) &&
           strcmp((const char *)n->name, name) == 0;
}

/* The element's name as written ("x:name" with a prefix), owned by the caller. */
static char *qname(const xmlNode *el)
{
    if (el->ns && el->ns->prefix)
        return xasprintf("%s:%s", (const char *)el->ns->prefix, (const char *)el->name);
    return xstrdup((const char *)el->name);
}

/*
 * Checks that every attribute of el is plain text and that there are at
 * most OCF_META_MAX_ATTRS of them. 0 or -EINVAL. An entity reference (other
 * than the five predefined ones, which are text already) stays a reference,
 * as nothing is expanded: such a value is refused rather than read wrong.
 */
static int check_attrs(struct meta_state *st, const xmlNode *el)
{
    size_t n = 0;
    for (const xmlAttr *a = el->properties; a; a = a->next, n++) {
        for (const xmlNode *c = a->children; c; c = c->next) {
            if (c->type != XML_TEXT_NODE) {
                _cleanup_free_ char *q = qname(el);
                return fail(st, el, "<%s %s=...> refers to an entity", q, (const char *)a->name);
            }
        }
    }
    if (n > OCF_META_MAX_ATTRS) {
        _cleanup_free_ char *q = qname(el);
        return fail(st, el, "<%s> has more than %d attributes", q, OCF_META_MAX_ATTRS);
    }
    return 0;
}

/*
 * The value of attribute name (without a namespace prefix) of el, whose
 * attributes check_attrs accepted; NULL when it has none. Owned by the caller.
 */
static char *attr_get(const xmlNode *el, const char *name)
{
    for (const xmlAttr *a = el->properties; a; a = a->next) {
        if ((a->ns && a->ns->prefix) || strcmp((const char *)a->name, name) != 0)
            continue;
        char *v = xstrdup("");
        for (const xmlNode *c = a->children; c; c = c->next) {
            char *more = xasprintf("%s%s", v, c->content ? (const char *)c->content : "");
            free(v);
            v = more;
        }
        return v;
    }
    return NULL;
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

/* Attribute name of an <action> as a duration in *ret_ms (left alone when absent). */
static int attr_duration(struct meta_state *st, const xmlNode *el, const char *name,
                         uint64_t *ret_ms)
{
    _cleanup_free_ char *v = attr_get(el, name);
    if (v && parse_duration(v, ret_ms) < 0)
        return fail(st, el, "<action %s=\"%.*s%s\">: not a duration", name, ERR_VALUE_MAX, v,
                    strlen(v) > ERR_VALUE_MAX ? "..." : "");
    return 0;
}

static bool is_true(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
                 strcasecmp(v, "on") == 0);
}

/* ---- the elements read ---- */

static int on_parameter(struct meta_state *st, const xmlNode *el)
{
    char *name = attr_get(el, "name");
    if (!name || !*name) {
        free(name);
        return fail(st, el, "<parameter> without a name");
    }
    _cleanup_free_ char *required = attr_get(el, "required");
    if (!is_true(required)) {
        free(name);
        return 0;
    }
    xgrow((void **)&st->m.required, &st->cap_required, st->n_required + 2, sizeof(*st->m.required));
    st->m.required[st->n_required++] = name;
    st->m.required[st->n_required] = NULL;
    return 0;
}

static int on_action(struct meta_state *st, const xmlNode *el)
{
    _cleanup_free_ char *name = attr_get(el, "name");
    if (!name)
        return fail(st, el, "<action> without a name");
    uint64_t to = 0, iv = 0;
    int e = attr_duration(st, el, "timeout", &to);
    if (e == 0)
        e = attr_duration(st, el, "interval", &iv);
    if (e < 0)
        return e;
    if (strcmp(name, "start") == 0 && !st->have_start) {
        st->have_start = true;
        st->m.start_timeout_ms = to;
    } else if (strcmp(name, "stop") == 0 && !st->have_stop) {
        st->have_stop = true;
        st->m.stop_timeout_ms = to;
    } else if (strcmp(name, "promote") == 0 && !st->m.has_promote) {
        st->m.has_promote = true;
        st->m.promote_timeout_ms = to;
    } else if (strcmp(name, "demote") == 0 && !st->m.has_demote) {
        st->m.has_demote = true;
        st->m.demote_timeout_ms = to;
    } else if (strcmp(name, "notify") == 0 && !st->m.has_notify) {
        st->m.has_notify = true;
        st->m.notify_timeout_ms = to;
    } else if (strcmp(name, "monitor") == 0) {
        /*
         * Promotable agents list a monitor per role, others one per depth:
         * the plain one (no role, depth 0) is the one that is run.
         */
        _cleanup_free_ char *role = attr_get(el, "role");
        _cleanup_free_ char *depth = attr_get(el, "depth");
        int rank = role ? 1 : (!depth || strcmp(depth, "0") == 0) ? 3 : 2;
        if (rank > st->monitor_rank) {
            st->monitor_rank = rank;
            st->m.monitor_timeout_ms = to;
            st->m.monitor_interval_ms = iv;
        }
    }
    return 0;
}

/* The next element after n in document order, within root; children first. */
static const xmlNode *next_element(const xmlNode *n, const xmlNode *root)
{
    const xmlNode *c = n->children;
    while (c && c->type != XML_ELEMENT_NODE)
        c = c->next;
    if (c)
        return c;
    for (; n && n != root; n = n->parent) {
        for (const xmlNode *s = n->next; s; s = s->next)
            if (s->type == XML_ELEMENT_NODE)
                return s;
    }
    return NULL;
}

/* Reads the tree under root: every element's attributes checked, parameters and actions read. */
static int walk(struct meta_state *st, const xmlNode *root)
{
    if (!element_is(root, "resource-agent")) {
        _cleanup_free_ char *q = qname(root);
        return fail(st, root, "the root element is <%s>, not <resource-agent>", q);
    }
    for (const xmlNode *n = root; n; n = next_element(n, root)) {
        int e = check_attrs(st, n);
        const xmlNode *parent = n->parent;
        if (e == 0 && parent && parent->parent == root) {
            if (element_is(parent, "parameters") && element_is(n, "parameter"))
                e = on_parameter(st, n);
            else if (element_is(parent, "actions") && element_is(n, "action"))
                e = on_action(st, n);
        }
        if (e < 0)
            return e;
    }
    return 0;
}

/*
 * Parses len bytes of XML (len <= INT_MAX) into a document, owned by the
 * caller (xmlFreeDoc). NULL on any error, with the first one ("line N: ...")
 * in *ret_err, owned by the caller.
 */
static xmlDocPtr read_xml(const char *xml, size_t len, char **ret_err)
{
    const char *nul = memchr(xml, '\0', len);
    if (nul) {
        /* Never in XML; libxml2 would take one after the root element for the end. */
        size_t line = 1;
        for (const char *p = xml; p < nul; p++)
            line += *p == '\n';
        *ret_err = xasprintf("line %zu: a NUL byte", line);
        return NULL;
    }
    xmlInitParser();
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        *ret_err = xstrdup("cannot set up the XML parser");
        return NULL;
    }
    /*
     * Errors of this parse go to on_xml_error (libxml2 calls it with the
     * context, whose _private is ours); the thread's generic handler is
     * silenced and put back after.
     */
    struct xml_errors xe = {0};
    ctxt->_private = &xe;
    ctxt->sax->serror = on_xml_error;
    xmlGenericErrorFunc saved_fn = xmlGenericError;
    void *saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, on_generic_error);
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, PARSE_OPTIONS);
    xmlSetGenericErrorFunc(saved_ctx, saved_fn);
    if (doc && ctxt->wellFormed && !xe.first && xmlDocGetRootElement(doc)) {
        xmlFreeParserCtxt(ctxt);
        return doc;
    }
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    *ret_err = xe.first ? xe.first : xstrdup("not well-formed XML");
    return NULL;
}

int ocf_meta_parse_buf(const char *xml, size_t len, struct ocf_meta *ret, char **ret_err)
{
    struct meta_state st = {0};
    int e = -EINVAL;
    xmlDocPtr doc = NULL;
    if (len > INT_MAX) {
        e = -E2BIG;
        st.err = xstrdup("larger than 2 GiB");
    } else if ((doc = read_xml(xml, len, &st.err))) {
        xgrow((void **)&st.m.required, &st.cap_required, 1, sizeof(*st.m.required));
        st.m.required[0] = NULL;
        e = walk(&st, xmlDocGetRootElement(doc));
        xmlFreeDoc(doc);
    }
    if (e < 0) {
        ocf_meta_clear(&st.m);
        if (ret_err) {
            ascii_only(st.err);
            *ret_err = st.err;
        } else {
            free(st.err);
        }
        return e;
    }
    *ret = st.m;
    return 0;
}

int ocf_meta_parse(const char *xml, struct ocf_meta *ret)
{
    return ocf_meta_parse_buf(xml, strlen(xml), ret, NULL);
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

/*
 * The meta-data an OCF resource agent prints (`AGENT meta-data`): the XML
 * described by Pacemaker's ra-api-1.dtd, read with libxml2 for the defaults
 * vigil takes from it (action timeouts, the monitor interval) and the names
 * of the required parameters.
 *
 * The XML comes from a third party, so it is parsed from memory with no
 * network, no DTD loaded and no entity expanded: an agent's meta-data can
 * make vigil read no file and open no connection. A document that is not
 * well-formed, whose root is not <resource-agent>, or whose parameters and
 * actions say something this reader cannot understand is refused as a
 * whole, never guessed at. Library code: it never logs; errors are returned.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCF_META_MAX_ATTRS 64 /* per element; more is not meta-data */

/* Defaults an OCF agent declares in its meta-data (0 when it does not say). */
struct ocf_meta {
    uint64_t start_timeout_ms;
    uint64_t stop_timeout_ms;
    uint64_t monitor_timeout_ms;
    uint64_t monitor_interval_ms;
    /* The actions of promotable agents: whether it lists them, and their timeouts. */
    bool has_promote, has_demote, has_notify;
    uint64_t promote_timeout_ms;
    uint64_t demote_timeout_ms;
    uint64_t notify_timeout_ms;
    char **required; /* names of parameters with required="1", NULL-terminated */
};

/*
 * Parses len bytes of meta-data XML at xml (not necessarily NUL-terminated;
 * the encoding is UTF-8 unless the XML declaration names another).
 *
 * Read: <resource-agent> / <parameters> / <parameter name=".." required="1|true|yes|on">
 * and <resource-agent> / <actions> / <action name="start|stop|monitor|
 * promote|demote|notify" timeout=".." interval="..">; every other element is
 * only checked to be well-formed. Durations: a number with an optional unit, ms/msec, s/sec
 * (the default), m/min, h/hr, case-insensitive, blanks around allowed. The
 * first start, stop, promote, demote and notify action count; of several monitor actions
 * the plain one (no role, depth 0 or none), else one of another depth, else
 * a role's.
 *
 * Returns 0 and the result in *ret, owned by the caller (free with
 * ocf_meta_clear; required is never NULL). Or returns a negative errno and
 * leaves *ret untouched: -EINVAL for anything malformed (not well-formed
 * XML or any other error libxml2 reports, a NUL byte, a root other than
 * <resource-agent>, a parameter or action without a name, a timeout or
 * interval of any action that cannot be read, an attribute value that
 * refers to an entity other than the five predefined ones, more than
 * OCF_META_MAX_ATTRS attributes on an element), -E2BIG for more than
 * INT_MAX bytes. Then, when ret_err is not NULL, *ret_err is set to one
 * line of ASCII naming the problem and its line ("line 3: Opening and ending
 * tag mismatch: parameters line 2 and resource-agent", "line 7: <action>
 * without a name"), owned by the caller; on success *ret_err is untouched.
 *
 * Initialises libxml2 on first use (xmlInitParser: threads that parse at
 * once should call it first) and changes none of its global settings
 * beyond the call: the thread's generic error handler is silenced during
 * the parse and put back.
 */
int ocf_meta_parse_buf(const char *xml, size_t len, struct ocf_meta *ret, char **ret_err);

/*
 * ocf_meta_parse_buf of the NUL-terminated string xml, without the reason:
 * 0, or a negative errno with *ret untouched.
 */
int ocf_meta_parse(const char *xml, struct ocf_meta *ret);

/* Frees what m holds and zeroes it. Accepts NULL, and an m already cleared. */
void ocf_meta_clear(struct ocf_meta *m);

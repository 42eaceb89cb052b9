/*
 * Unit tests for the OCF meta-data reader (src/resource/ocf_meta.c, libxml2):
 * real agents' meta-data (the copies in tests/unit/data/agents; every
 * installed agent's is read in test_res_agent.c), syntax variants,
 * durations, malformed documents and the reason given for each, and that a
 * document can make the reader open no file and no connection, nor expand
 * entities without bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "data_helpers.h"
#include "resource/ocf_meta.h"

static char dir[] = "/tmp/vigil-ocf-meta-test-XXXXXX";

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *read_text(const char *path)
{
    char *text = NULL;
    size_t n;
    int r = read_file(path, 1 << 20, &text, &n);
    if (r < 0)
        fail_msg("%s: %s", path, strerror(-r));
    return text;
}

/* ocf_meta_parse_buf of xml that must fail: the reason, owned by the caller; *ret untouched. */
static char *reason_of(const char *xml)
{
    struct ocf_meta m = {.start_timeout_ms = 4242};
    char *err = NULL;
    int r = ocf_meta_parse_buf(xml, strlen(xml), &m, &err);
    if (r != -EINVAL)
        fail_msg("accepted (%d): %s", r, xml);
    assert_int_equal(m.start_timeout_ms, 4242);
    assert_null(m.required);
    assert_non_null(err);
    return err;
}

/* ---- documents ---------------------------------------------------------------- */

static void test_meta_dummy(void **state)
{
    _cleanup_free_ char *path = data_file("agents", "Dummy.meta.xml");
    _cleanup_free_ char *xml = read_text(path);
    struct ocf_meta m;
    assert_int_equal(ocf_meta_parse(xml, &m), 0);
    assert_int_equal(m.start_timeout_ms, 20000);
    assert_int_equal(m.stop_timeout_ms, 20000);
    assert_int_equal(m.monitor_timeout_ms, 20000);
    assert_int_equal(m.monitor_interval_ms, 10000);
    assert_non_null(m.required);
    assert_null(m.required[0]);
    ocf_meta_clear(&m);
    ocf_meta_clear(&m); /* cleared twice: harmless */
    ocf_meta_clear(NULL);
}

static void test_meta_ipaddr2(void **state)
{
    _cleanup_free_ char *path = data_file("agents", "IPaddr2.meta.xml");
    _cleanup_free_ char *xml = read_text(path);
    struct ocf_meta m;
    assert_int_equal(ocf_meta_parse(xml, &m), 0);
    assert_int_equal(m.start_timeout_ms, 20000);
    assert_int_equal(m.stop_timeout_ms, 20000);
    assert_int_equal(m.monitor_timeout_ms, 20000);
    assert_int_equal(m.monitor_interval_ms, 10000);
    assert_string_equal(m.required[0], "ip");
    assert_null(m.required[1]);
    ocf_meta_clear(&m);
}

static void test_meta_syntax_variants(void **state)
{
    const char *xml =
        "\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?>\n"
        "<!-- a comment with <tags> and \"quotes\" -->\n"
        "<!DOCTYPE resource-agent [ <!ENTITY x \"y>\"> ]>\n"
        "<resource-agent version='1.1' name = \"t\">\n"
        "  <longdesc lang=\"en\"><![CDATA[ <parameter name=\"fake\" required=\"1\"/> ]]>"
        " &amp; text </longdesc>\n"
        "  <parameters>\n"
        "    <parameter required='1' name='first'><content type='string'/></parameter>\n"
        "    <!-- <parameter name=\"commented\" required=\"1\"/> -->\n"
        "    <parameter name=\"a&amp;b&#x41;&#66;\" required=\"true\"/>\n"
        "    <parameter name=\"optional\" required=\"0\"/>\n"
        "    <parameter name=\"unsaid\"/>\n"
        "  </parameters>\n"
        "  <actions>\n"
        "    <action\tinterval='30s' timeout=\"2min\"\n name='monitor' role='Promoted'/>\n"
        "    <action name=\"monitor\" depth=\"10\" timeout=\"90s\" interval=\"60s\"/>\n"
        "    <action name=\"monitor\" depth=\"0\" timeout=\"20000ms\" interval=\"15\"/>\n"
        "    <action name=\"monitor\" timeout=\"1s\" interval=\"1s\"/>\n"
        "    <action timeout=\"1m\" name=\"start\"></action>\n"
        "    <action name=\"start\" timeout=\"5s\"/>\n"
        "    <action name='stop' timeout=' 1h '/>\n"
        "    <action name='reload'/>\n"
        "  </actions>\n"
        "</resource-agent >\n"
        "<!-- trailing comment -->\n";
    struct ocf_meta m;
    assert_int_equal(ocf_meta_parse(xml, &m), 0);
    assert_int_equal(m.start_timeout_ms, 60000); /* the first start */
    assert_int_equal(m.stop_timeout_ms, 3600000);
    /* The plain monitor (no role, depth 0), not the role's or the deeper one. */
    assert_int_equal(m.monitor_timeout_ms, 20000);
    assert_int_equal(m.monitor_interval_ms, 15000);
    assert_string_equal(m.required[0], "first");
    assert_string_equal(m.required[1], "a&bAB");
    assert_null(m.required[2]);
    ocf_meta_clear(&m);

    /* Only a role's monitor: better than none. */
    assert_int_equal(ocf_meta_parse("<resource-agent><actions><action name='monitor' "
                                    "role='Unpromoted' timeout='7s' interval='9s'/></actions>"
                                    "</resource-agent>",
                                    &m),
                     0);
    assert_int_equal(m.monitor_timeout_ms, 7000);
    assert_int_equal(m.monitor_interval_ms, 9000);
    assert_int_equal(m.start_timeout_ms, 0); /* not said */
    ocf_meta_clear(&m);

    /* Elements in the wrong place are not taken for parameters or actions. */
    assert_int_equal(ocf_meta_parse("<resource-agent><parameter name='x' required='1'/>"
                                    "<actions><x><action name='start' timeout='9s'/></x>"
                                    "</actions></resource-agent>",
                                    &m),
                     0);
    assert_null(m.required[0]);
    assert_int_equal(m.start_timeout_ms, 0);
    ocf_meta_clear(&m);
}

static void test_meta_durations(void **state)
{
    static const struct {
        const char *text;
        uint64_t ms; /* 0: refused */
    } cases[] = {
        {"20s", 20000},
        {"20", 20000},
        {"20000ms", 20000},
        {"1m", 60000},
        {"1min", 60000},
        {"2h", 7200000},
        {"3hr", 10800000},
        {"5sec", 5000},
        {"250msec", 250},
        {" 7 s ", 7000},
        {"10S", 10000},
        {"", 0},
        {"s", 0},
        {"abc", 0},
        {"1.5s", 0},
        {"-1s", 0},
        {"20 days", 0},
        {"20s junk", 0},
        {"99999999999999999999", 0},
        {"18446744073709551615h", 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *xml = xasprintf("<resource-agent><actions><action name=\"start\" "
                                             "timeout=\"%s\"/></actions></resource-agent>",
                                             cases[i].text);
        struct ocf_meta m = {.start_timeout_ms = 12345};
        int r = ocf_meta_parse(xml, &m);
        if (cases[i].ms) {
            assert_int_equal(r, 0);
            assert_int_equal(m.start_timeout_ms, cases[i].ms);
            ocf_meta_clear(&m);
        } else {
            if (r != -EINVAL)
                fail_msg("timeout \"%s\" was accepted", cases[i].text);
            assert_int_equal(m.start_timeout_ms, 12345); /* untouched */
        }
    }
}

static void test_meta_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "   \n",
        "this is not XML",
        "<?xml version='1.0'?>",
        "<resource-agent>",
        "<resource-agent></resource-agents>",
        "<resource-agent><parameters></resource-agent>",
        "<resource-agent></resource-agent><resource-agent></resource-agent>",
        "<other-root></other-root>",
        "text<resource-agent/>",
        "<resource-agent/>text",
        "<resource-agent><!-- unterminated </resource-agent>",
        "<resource-agent><![CDATA[ unterminated </resource-agent>",
        "<![CDATA[x]]><resource-agent/>",
        "<?xml unterminated <resource-agent/>",
        "<!DOCTYPE x <resource-agent/>",
        "<resource-agent/><!DOCTYPE x>",
        "<!ELEMENT x><resource-agent/>",
        "<resource-agent name=unquoted/>",
        "<resource-agent name='unterminated/>",
        "<resource-agent name=\"mixed'/>",
        "<resource-agent name='a' name='b'/>",
        "<resource-agent name='a'version='1'/>",
        "<resource-agent name='<'/>",
        "<resource-agent name/>",
        "<resource-agent =''/>",
        "<resource-agent name='&unknown;'/>",
        "<resource-agent name='&amp'/>",
        "<resource-agent name='&#;'/>",
        "<resource-agent name='&#x110000;'/>",
        "<resource-agent name='&#xD800;'/>",
        "<resource-agent name='&#0;'/>",
        "<resource-agent name='&#99999999999999999999;'/>",
        "<resource-agent><parameters><parameter required='1'/></parameters></resource-agent>",
        "<resource-agent><parameters><parameter name=''/></parameters></resource-agent>",
        "<resource-agent><actions><action timeout='20s'/></actions></resource-agent>",
        "<resource-agent><actions><action name='stop' timeout='soon'/></actions></resource-agent>",
        "<resource-agent><actions><action name='x' interval='-1'/></actions></resource-agent>",
        "<resource-agent></ resource-agent>",
        "<resource-agent></resource-agent",
        "<resource-agent><1tag/></resource-agent>",
        "<resource-agent>< tag/></resource-agent>",
        "</resource-agent>",
        "<",
        "<resource-agent><",
        "\x01\x02\xff\xfe<<<>>>",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct ocf_meta m = {.stop_timeout_ms = 777};
        if (ocf_meta_parse(bad[i], &m) != -EINVAL)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(m.stop_timeout_ms, 777);
        assert_null(m.required);
    }
    /* Too many attributes on one element. */
    char *many = xstrdup("<resource-agent");
    for (int i = 0; i < 100; i++) {
        char *more = xasprintf("%s a%d='x'", many, i);
        free(many);
        many = more;
    }
    char *doc = xasprintf("%s/>", many);
    struct ocf_meta m;
    assert_int_equal(ocf_meta_parse(doc, &m), -EINVAL);
    free(many);
    free(doc);
}

/* Every cut of a real document fails cleanly until its root element is complete. */
static void test_meta_every_prefix(void **state)
{
    _cleanup_free_ char *path = data_file("agents", "IPaddr2.meta.xml");
    _cleanup_free_ char *xml = read_text(path);
    size_t complete = (size_t)(strstr(xml, "</resource-agent>") - xml) + 17;
    size_t n = strlen(xml);
    for (size_t len = 0; len <= n; len++) {
        char *cut = xstrndup(xml, len);
        struct ocf_meta m;
        int r = ocf_meta_parse(cut, &m);
        if (len >= complete) {
            assert_int_equal(r, 0);
            ocf_meta_clear(&m);
        } else if (r != -EINVAL) {
            fail_msg("a document cut at %zu bytes was accepted", len);
        }
        free(cut);
    }
}

/* ---- reasons ------------------------------------------------------------------ */

/* Each problem is named, with its line. */
static void test_meta_reasons(void **state)
{
    static const struct {
        const char *xml, *reason;
    } cases[] = {
        {"", "line 1: Document is empty"},
        {"this is not XML", "line 1: Start tag expected, '<' not found"},
        {"<resource-agent>\n<parameters>\n</resource-agent>",
         "line 3: Opening and ending tag mismatch: parameters line 2 and resource-agent"},
        {"<resource-agent name='a' name='b'/>", "line 1: Attribute name redefined"},
        {"<resource-agent name='&unknown;'/>", "line 1: Entity 'unknown' not defined"},
        {"<other-root/>", "line 1: the root element is <other-root>, not <resource-agent>"},
        {"<x:resource-agent xmlns:x='urn:x'/>",
         "line 1: the root element is <x:resource-agent>, not <resource-agent>"},
        {"<resource-agent>\n<parameters>\n<parameter required='1'/></parameters></resource-agent>",
         "line 3: <parameter> without a name"},
        {"<resource-agent><actions>\n\n\n<action timeout='20s'/></actions></resource-agent>",
         "line 4: <action> without a name"},
        {"<resource-agent><actions><action name='stop' timeout='soon'/></actions></resource-agent>",
         "line 1: <action timeout=\"soon\">: not a duration"},
        {"<resource-agent><actions><action name='monitor' interval='"
         "1234567890123456789012345678901234567890123'/></actions></resource-agent>",
         "line 1: <action interval=\"1234567890123456789012345678901234567890...\">: not a "
         "duration"},
        {"<!DOCTYPE resource-agent [<!ENTITY v 'x'>]>\n<resource-agent version='&v;'/>",
         "line 2: <resource-agent version=...> refers to an entity"},
        /* An error libxml2 carries on after is refused all the same. */
        {"<resource-agent><y:longdesc/></resource-agent>",
         "line 1: Namespace prefix y on longdesc is not defined"},
        {"<!DOCTYPE resource-agent SYSTEM 'ra-api-1.dtd'><resource-agent><parameters>"
         "<parameter name='a&nbsp;' required='1'/></parameters></resource-agent>",
         "line 1: Entity 'nbsp' not defined"},
        /* Reasons are one line of ASCII, whatever the document holds. */
        {"<r\xc3\xa9sum\xc3\xa9/>",
         "line 1: the root element is <r\?\?sum\?\?>, not <resource-agent>"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *err = reason_of(cases[i].xml);
        if (strcmp(err, cases[i].reason) != 0)
            fail_msg("%s\n  gave: %s\n  want: %s", cases[i].xml, err, cases[i].reason);
    }
    /* No reason asked for. */
    struct ocf_meta m;
    assert_int_equal(ocf_meta_parse_buf("<x/>", 4, &m, NULL), -EINVAL);
}

/* len bytes are read, no more: the buffer need not be NUL-terminated. */
static void test_meta_length(void **state)
{
    const char *doc = "<resource-agent><parameters><parameter name='p' required='1'/>"
                      "</parameters></resource-agent>";
    size_t n = strlen(doc);
    _cleanup_free_ char *padded = xasprintf("%s<garbage>&&&", doc);
    struct ocf_meta m;
    char *err = NULL;
    assert_int_equal(ocf_meta_parse_buf(padded, n, &m, &err), 0);
    assert_string_equal(m.required[0], "p");
    assert_null(m.required[1]);
    ocf_meta_clear(&m);
    assert_int_equal(ocf_meta_parse_buf(padded, n + 1, &m, &err), -EINVAL);
    free(err);
    assert_int_equal(ocf_meta_parse_buf(padded, n - 1, &m, &err), -EINVAL);
    free(err);
    /* A NUL inside the length is not the end of the document. */
    char with_nul[] = "<resource-agent/>\0<x>";
    assert_int_equal(ocf_meta_parse_buf(with_nul, sizeof(with_nul) - 1, &m, &err), -EINVAL);
    free(err);
}

/* ---- what a document cannot make the reader do ------------------------------------ */

static void write_text(const char *path, const char *text)
{
    assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

/*
 * No file is read: an external DTD, an external parameter entity and an
 * external general entity all name a file that is not well-formed XML, so
 * reading any of them would make the document fail. Referred to from an
 * attribute, an external entity is an error of the document.
 */
static void test_meta_reads_no_file(void **state)
{
    _cleanup_free_ char *bad_dtd = xasprintf("%s/bad.dtd", dir);
    _cleanup_free_ char *bad_xml = xasprintf("%s/bad.xml", dir);
    write_text(bad_dtd, "<!ELEMENT <<< not a DTD");
    write_text(bad_xml, "<unclosed>");
    char *docs[] = {
        xasprintf("<!DOCTYPE resource-agent SYSTEM 'file://%s'>"
                  "<resource-agent><parameters><parameter name='d'/></parameters></resource-agent>",
                  bad_dtd),
        xasprintf("<!DOCTYPE resource-agent SYSTEM '%s'><resource-agent/>", bad_dtd),
        xasprintf("<!DOCTYPE resource-agent [<!ENTITY %% p SYSTEM 'file://%s'> %%p;]>"
                  "<resource-agent/>",
                  bad_dtd),
        xasprintf("<!DOCTYPE resource-agent [<!ENTITY x SYSTEM 'file://%s'>]>"
                  "<resource-agent><longdesc>&x;</longdesc></resource-agent>",
                  bad_xml),
    };
    for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
        struct ocf_meta m;
        char *err = NULL;
        if (ocf_meta_parse_buf(docs[i], strlen(docs[i]), &m, &err) < 0)
            fail_msg("%s: %s (a file was read?)", docs[i], err);
        assert_null(m.required[0]);
        ocf_meta_clear(&m);
    }
    for (size_t i = 0; i < ARRAY_SIZE(docs); i++)
        free(docs[i]);

    _cleanup_free_ char *attr = xasprintf(
        "<!DOCTYPE resource-agent [<!ENTITY x SYSTEM 'file://%s'>]><resource-agent><parameters>"
        "<parameter name='&x;' required='1'/></parameters></resource-agent>",
        bad_xml);
    _cleanup_free_ char *err = reason_of(attr);
    assert_string_equal(err, "line 1: Attribute references external entity 'x'");
}

/* No connection is made: nothing is waiting to be accepted on the port documents name. */
static void test_meta_opens_no_connection(void **state)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    assert_int_equal(listen(fd, 16), 0);
    unsigned port = ntohs(sa.sin_port);
    _cleanup_free_ char *doc =
        xasprintf("<!DOCTYPE resource-agent SYSTEM 'http://127.0.0.1:%u/ra-api-1.dtd' ["
                  "<!ENTITY %% p SYSTEM 'http://127.0.0.1:%u/p.dtd'> %%p;"
                  "<!ENTITY x SYSTEM 'http://127.0.0.1:%u/x.xml'>]>"
                  "<resource-agent><longdesc>&x;</longdesc></resource-agent>",
                  port, port, port);
    struct ocf_meta m;
    char *err = NULL;
    if (ocf_meta_parse_buf(doc, strlen(doc), &m, &err) < 0)
        fail_msg("%s", err);
    ocf_meta_clear(&m);
    int c = accept(fd, NULL, NULL);
    int e = errno;
    if (c >= 0)
        close(c);
    assert_int_equal(c, -1);
    assert_int_equal(e, EAGAIN);
    close(fd);
}

/*
 * Entities are not expanded into what is read, and not without bound: a
 * billion laughs is refused (at once); defaults for attributes from the
 * internal DTD are not applied.
 */
static void test_meta_entities(void **state)
{
    char *laughs = xstrdup("<!DOCTYPE resource-agent [<!ENTITY l0 'lol'>");
    for (int i = 1; i < 10; i++) {
        char *more = xasprintf("%s<!ENTITY l%d '", laughs, i);
        free(laughs);
        laughs = more;
        for (int k = 0; k < 10; k++) {
            more = xasprintf("%s&l%d;", laughs, i - 1);
            free(laughs);
            laughs = more;
        }
        more = xasprintf("%s'>", laughs);
        free(laughs);
        laughs = more;
    }
    _cleanup_free_ char *in_text =
        xasprintf("%s]><resource-agent><longdesc>&l9;</longdesc></resource-agent>", laughs);
    _cleanup_free_ char *in_attr = xasprintf(
        "%s]><resource-agent><parameters><parameter name='&l9;'/></parameters></resource-agent>",
        laughs);
    free(laughs);
    free(reason_of(in_text));
    free(reason_of(in_attr));

    /* A declared entity in text is not read (nothing reads text). */
    struct ocf_meta m;
    assert_int_equal(ocf_meta_parse("<!DOCTYPE resource-agent [<!ENTITY v 'x'>]><resource-agent>"
                                    "<longdesc>&v;</longdesc></resource-agent>",
                                    &m),
                     0);
    ocf_meta_clear(&m);

    assert_int_equal(
        ocf_meta_parse("<!DOCTYPE resource-agent [<!ATTLIST parameter required CDATA '1'>]>"
                       "<resource-agent><parameters><parameter name='d'/></parameters>"
                       "</resource-agent>",
                       &m),
        0);
    assert_null(m.required[0]);
    ocf_meta_clear(&m);
}

/* A declared encoding is honoured: names come out as UTF-8. */
static void test_meta_encoding(void **state)
{
    struct ocf_meta m;
    assert_int_equal(ocf_meta_parse("<?xml version='1.0' encoding='ISO-8859-1'?>"
                                    "<resource-agent><parameters>"
                                    "<parameter name='caf\xe9' required='1'/>"
                                    "</parameters></resource-agent>",
                                    &m),
                     0);
    assert_string_equal(m.required[0], "caf\xc3\xa9");
    ocf_meta_clear(&m);
    /* Without a declaration it is UTF-8, and a byte that is not is an error. */
    _cleanup_free_ char *err = reason_of("<resource-agent><parameters>"
                                         "<parameter name='caf\xe9' required='1'/>"
                                         "</parameters></resource-agent>");
    assert_non_null(strstr(err, "line 1: "));
}

/*
 * The actions of promotable agents: promote, demote and notify, whether
 * listed (an action without a timeout counts) and the first one's timeout.
 */
static void test_meta_promotable_actions(void **state)
{
    struct ocf_meta m;
    assert_int_equal(ocf_meta_parse("<resource-agent><actions>"
                                    "<action name='start' timeout='10s'/>"
                                    "<action name='promote' timeout='30'/>"
                                    "<action name='promote' timeout='99'/>"
                                    "<action name='demote' timeout='2min'/>"
                                    "<action name='notify'/>"
                                    "</actions></resource-agent>",
                                    &m),
                     0);
    assert_true(m.has_promote);
    assert_true(m.has_demote);
    assert_true(m.has_notify);
    assert_int_equal(m.promote_timeout_ms, 30000);
    assert_int_equal(m.demote_timeout_ms, 120000);
    assert_int_equal(m.notify_timeout_ms, 0);
    ocf_meta_clear(&m);
    assert_false(m.has_promote); /* cleared */

    assert_int_equal(ocf_meta_parse("<resource-agent><actions><action name='start' timeout='1'/>"
                                    "<action name='demote' timeout='5'/></actions>"
                                    "</resource-agent>",
                                    &m),
                     0);
    assert_false(m.has_promote);
    assert_true(m.has_demote);
    assert_false(m.has_notify);
    assert_int_equal(m.demote_timeout_ms, 5000);
    ocf_meta_clear(&m);

    /* A promote whose timeout cannot be read is refused like any other action's. */
    assert_int_equal(ocf_meta_parse("<resource-agent><actions><action name='promote' "
                                    "timeout='soon'/></actions></resource-agent>",
                                    &m),
                     -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_dummy),
        cmocka_unit_test(test_meta_ipaddr2),
        cmocka_unit_test(test_meta_syntax_variants),
        cmocka_unit_test(test_meta_durations),
        cmocka_unit_test(test_meta_malformed),
        cmocka_unit_test(test_meta_every_prefix),
        cmocka_unit_test(test_meta_reasons),
        cmocka_unit_test(test_meta_length),
        cmocka_unit_test(test_meta_reads_no_file),
        cmocka_unit_test(test_meta_opens_no_connection),
        cmocka_unit_test(test_meta_entities),
        cmocka_unit_test(test_meta_encoding),
        cmocka_unit_test(test_meta_promotable_actions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

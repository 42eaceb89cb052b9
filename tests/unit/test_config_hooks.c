/*
 * Hooks in vigil.yaml (src/config/load_hooks.c): values, defaults, the printed
 * form, and every error with its file:line:col.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "config/config.h"
#include "cfg_helpers.h"

/* hooks: lines 6 on, after a one-node head with fencing. */
#define HHEAD "cluster: {name: h}\n" NET1 "nodes:\n" NODE1 FENCE1 "hooks:\n"

static void test_hooks(void **state)
{
    struct cfg *c = load_text(HHEAD "  - name: mail\n"
                                    "    command: [/bin/true, root@example.org]\n"
                                    "  - name: log\n"
                                    "    command: [/bin/echo]\n"
                                    "    events: [node_lost, group_moved, config_changed]\n"
                                    "    timeout: 2s\n"
                                    "    every_node: true\n"
                                    "    environment: {LOG_FILE: /var/log/vigil-events.log}\n",
                              0, 0, "");
    assert_int_equal(c->n_hooks, 2);
    const struct cfg_hook *h = &c->hooks[0];
    assert_string_equal(h->name, "mail");
    assert_int_equal(h->argc, 2);
    assert_string_equal(h->argv[1], "root@example.org");
    assert_int_equal(h->events, CFG_HOOK_DEFAULT_EVENTS);
    assert_int_equal(h->timeout_ms, CFG_DEFAULT_HOOK_TIMEOUT_MS);
    assert_false(h->every_node);
    h = &c->hooks[1];
    assert_int_equal(h->events, (1u << CFG_HOOK_NODE_LOST) | (1u << CFG_HOOK_GROUP_MOVED) |
                                    (1u << CFG_HOOK_CONFIG_CHANGED));
    assert_int_equal(h->timeout_ms, 2000);
    assert_true(h->every_node);
    assert_int_equal(h->n_env, 1);
    assert_string_equal(h->env[0].key, "LOG_FILE");
    /* The printed form loads back equal; a change to one hook is seen. */
    _cleanup_free_ char *text = cfg_print(c);
    assert_non_null(strstr(text, "hooks:\n  - name: mail\n    command: [/bin/true, "
                                 "\"root@example.org\"]\n    events: [node_lost, node_fenced,"));
    struct cfg_diags d;
    cfg_diags_init(&d);
    struct cfg *again = NULL;
    assert_int_equal(cfg_load_string(text, strlen(text), "p.yaml", 0, &again, &d), 0);
    assert_true(cfg_equal(c, again));
    assert_true(cfg_hooks_equal(c, again));
    again->hooks[1].every_node = false;
    assert_false(cfg_hooks_equal(c, again));
    assert_false(cfg_equal(c, again));
    cfg_free(again);
    cfg_diags_clear(&d);
    cfg_free(c);
    /* all */
    c = load_text(HHEAD "  - {name: all, command: [/bin/true], events: [all]}\n", 0, 0, "");
    assert_int_equal(c->hooks[0].events, (1u << CFG_HOOK_EVENT_MAX) - 1);
    cfg_free(c);
    /* A name next to all is not listed twice; PATH and other names are the hook's to set. */
    c = load_text(HHEAD "  - {name: all, command: [/bin/true], events: [all, node_lost], "
                        "environment: {PATH: /opt/bin, VIGIL_MAIL_TO: ops}}\n",
                  0, 0, "");
    assert_int_equal(c->hooks[0].events, (1u << CFG_HOOK_EVENT_MAX) - 1);
    assert_int_equal(c->hooks[0].n_env, 2);
    cfg_free(c);
    assert_string_equal(cfg_hook_event_name(CFG_HOOK_GROUP_RECOVERED), "group_recovered");
    assert_null(cfg_hook_event_name(CFG_HOOK_EVENT_MAX));
    assert_int_equal(cfg_hook_event_parse("fence_failed"), CFG_HOOK_FENCE_FAILED);
    assert_int_equal(cfg_hook_event_parse("fencing_failed"), -1);
}

static void test_hooks_invalid(void **state)
{
    load_text(HHEAD "  - {name: mail, command: [/bin/true], events: [node_lots]}\n", 0, -EINVAL,
              "test.yaml:9:49: error: hook 'mail': events: unknown event 'node_lots'; did you "
              "mean 'node_lost'?\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], events: [zzzzzz]}\n", 0, -EINVAL,
              "test.yaml:9:46: error: hook 'a': events: unknown event 'zzzzzz' (the events are "
              "node_lost, node_left, node_joined, node_fenced, fence_failed, quorum_lost, "
              "quorum_gained, group_failed, group_moved, group_recovered, group_started, "
              "group_stopped, group_restarted, group_stop_failed, group_multi_active, "
              "group_promoted, group_demoted, resource_failed, admin, config_changed and all)\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], events: [node_lost, node_lost]}\n", 0,
              -EINVAL, "test.yaml:9:57: error: hook 'a': events: 'node_lost' is listed twice\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], events: []}\n", 0, -EINVAL,
              "test.yaml:9:45: error: hook 'a': events is empty; name at least one event, or "
              "leave events out for the default ones\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], events: node_lost}\n", 0, -EINVAL,
              "test.yaml:9:45: error: hook 'a': events must be a list of event names, such as "
              "[node_lost, group_failed], not 'node_lost'\n");
    /* vigild sets the VIGIL_ variables of the event; PATH and other names are the hook's. */
    load_text(HHEAD "  - {name: a, command: [/bin/true], environment: {PATH: /opt/bin, "
                    "VIGIL_NODE: x, VIGIL_MAIL_TO: ops}}\n",
              0, -EINVAL,
              "test.yaml:9:67: error: hook 'a': environment: VIGIL_NODE is set by vigild for each "
              "event; use another name\n");
    load_text(HHEAD "  - {name: mail, command: [mail.sh]}\n", 0, -EINVAL,
              "test.yaml:9:28: error: hook 'mail': the program 'mail.sh' must be an absolute path "
              "(starting with /), such as /usr/bin/mail.sh\n");
    load_text(HHEAD "  - {name: mail}\n", 0, -EINVAL,
              "test.yaml:9:5: error: missing required key 'command' in hook 'mail'\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], timeout: 50ms}\n", 0, -EINVAL,
              "test.yaml:9:46: error: hook 'a': timeout is 50ms; it must be from 100ms to 10min\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true]}\n  - {name: a, command: [/bin/true]}\n", 0,
              -EINVAL, "test.yaml:10:12: error: hook 'a': the name 'a' is used by another hook\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], timeout: 1h}\n", 0, -EINVAL,
              "test.yaml:9:46: error: hook 'a': timeout is 1h; it must be from 100ms to 10min\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], every_node: yes}\n", 0, -EINVAL,
              "test.yaml:9:49: error: hook 'a': every_node must be true or false, not 'yes'; did "
              "you mean 'true'?\n");
    load_text(HHEAD "  - {name: a, command: [/bin/true], on: [node_lost]}\n", 0, -EINVAL,
              "test.yaml:9:37: error: unknown key 'on' in hook 'a' (the keys here are name, "
              "command, events, timeout, every_node and environment)\n");
    /* With CFG_LOAD_CHECK_FILES the program must exist (a key is needed for that load). */
    char dir[] = "/tmp/vigil-hook-XXXXXX";
    assert_non_null(mkdtemp(dir));
    _cleanup_free_ char *key = write_key(dir, "authkey", 256, 0400);
    _cleanup_free_ char *yaml =
        xasprintf("cluster: {name: h, key: %s}\n" NET1 "nodes:\n" NODE1 FENCE1 "hooks:\n"
                  "  - {name: a, command: [/nonexistent/hook]}\n",
                  key);
    load_text(yaml, CFG_LOAD_CHECK_FILES, -EINVAL,
              "test.yaml:9:25: error: hook 'a': command /nonexistent/hook: No such file or "
              "directory\n");
    unlink(key);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hooks),
        cmocka_unit_test(test_hooks_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

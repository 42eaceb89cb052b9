/*
 * Outcomes of resource actions, shared by every resource type. Agent exit
 * codes (OCF, LSB, scripts) and built-in drivers are mapped onto these.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum res_op {
    RES_OP_START,
    RES_OP_STOP,
    RES_OP_MONITOR, /* is it running and healthy? */
    RES_OP_PROBE, /* is it running at all? (start-up, join): like monitor, never a failure by itself
                   */
    /* Promotable groups (ocf and script resources of role promotable): */
    RES_OP_PROMOTE, /* a running replica becomes the primary */
    RES_OP_DEMOTE,  /* the primary becomes a replica again */
    RES_OP_NOTIFY,  /* tell the agent about the other copies (res_notify, ocf only) */
    RES_OP_MAX
};

enum res_rc {
    RES_RC_OK,             /* start/stop done; monitor/probe: running */
    RES_RC_NOT_RUNNING,    /* monitor/probe: cleanly stopped (OCF 7, LSB status 3) */
    RES_RC_FAILED,         /* the action failed, or monitor: running but failed */
    RES_RC_TIMEOUT,        /* killed after its timeout */
    RES_RC_NOT_INSTALLED,  /* OCF 5, or the program is missing: never retry on this node */
    RES_RC_NOT_CONFIGURED, /* OCF 6 / 2: the configuration is wrong: never retry anywhere */
    /* Monitor and probe of ocf and script resources only: */
    RES_RC_RUNNING_PRIMARY, /* OCF 8: running, promoted (primary) */
    RES_RC_FAILED_PRIMARY,  /* OCF 9: failed while promoted (it may still act as primary) */
    RES_RC_MAX
};

/* A resource's state on one node, as that node knows it. */
enum res_state {
    RES_ST_UNKNOWN, /* not probed yet */
    RES_ST_STOPPED,
    RES_ST_STARTING,
    RES_ST_RUNNING,
    RES_ST_STOPPING,
    RES_ST_FAILED,      /* failed while running, or its start failed */
    RES_ST_STOP_FAILED, /* its stop failed: it may still run */
    RES_ST_MAX
};

/* "start", "stop", "monitor", "probe", "promote", ...; "unknown" out of range. Static. */
const char *res_op_name(enum res_op op);
/* The name of a state ("running", "stop failed"); "invalid" out of range. Static. */
const char *res_state_name(enum res_state s);
/* Parses a state name as res_state_name writes it: the res_state, or -1 if unknown. */
int res_state_parse(const char *name);
/* The name of an outcome ("ok", "timed out", "not installed"); "unknown" out of range. Static. */
const char *res_rc_name(enum res_rc rc);

/*
 * The lists of a notification (res_notify), as Pacemaker names them in the
 * agent's environment (OCF_RESKEY_CRM_meta_notify_<name>_uname and
 * _resource). RES_NL_PROMOTED also fills "master", RES_NL_UNPROMOTED "slave".
 */
enum res_notify_list {
    RES_NL_ACTIVE,     /* copies running (replica or primary) */
    RES_NL_INACTIVE,   /* nodes of the domain without a running copy */
    RES_NL_START,      /* copies being started */
    RES_NL_STOP,       /* copies being stopped */
    RES_NL_PROMOTE,    /* copies being promoted */
    RES_NL_DEMOTE,     /* copies being demoted */
    RES_NL_PROMOTED,   /* primaries (also "master") */
    RES_NL_UNPROMOTED, /* replicas (also "slave") */
    RES_NL_MAX
};

/* One notification of the copies of a clone or promotable group (see res_notify). */
struct res_notify {
    bool post;      /* after the operation (post), else before it (pre) */
    enum res_op op; /* RES_OP_START, RES_OP_STOP, RES_OP_PROMOTE or RES_OP_DEMOTE */
    const size_t *nodes[RES_NL_MAX]; /* per list: indices into cfg->nodes */
    size_t n[RES_NL_MAX];
};

/* The name of list l in the variables ("active", "promoted"); NULL out of range. Static. */
const char *res_notify_list_name(enum res_notify_list l);

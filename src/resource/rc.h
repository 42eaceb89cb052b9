/*
 * Outcomes of resource actions, shared by every resource type. Agent exit
 * codes (OCF, LSB, scripts) and built-in drivers are mapped onto these.
 */
#pragma once

enum res_op {
    RES_OP_START,
    RES_OP_STOP,
    RES_OP_MONITOR, /* is it running and healthy? */
    RES_OP_PROBE, /* is it running at all? (start-up, join): like monitor, never a failure by itself
                   */
    RES_OP_MAX
};

enum res_rc {
    RES_RC_OK,             /* start/stop done; monitor/probe: running */
    RES_RC_NOT_RUNNING,    /* monitor/probe: cleanly stopped (OCF 7, LSB status 3) */
    RES_RC_FAILED,         /* the action failed, or monitor: running but failed */
    RES_RC_TIMEOUT,        /* killed after its timeout */
    RES_RC_NOT_INSTALLED,  /* OCF 5, or the program is missing: never retry on this node */
    RES_RC_NOT_CONFIGURED, /* OCF 6 / 2: the configuration is wrong: never retry anywhere */
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

/* "start", "stop", "monitor", "probe"; "unknown" out of range. Static. */
const char *res_op_name(enum res_op op);
/* The name of a state ("running", "stop failed"); "invalid" out of range. Static. */
const char *res_state_name(enum res_state s);
/* Parses a state name as res_state_name writes it: the res_state, or -1 if unknown. */
int res_state_parse(const char *name);
/* The name of an outcome ("ok", "timed out", "not installed"); "unknown" out of range. Static. */
const char *res_rc_name(enum res_rc rc);

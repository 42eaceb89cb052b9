/*
 * A copy of a promotable group on this node, for the local resource manager
 * (lrm.c): the operations that promote and demote it and notify a clone's
 * copies (lrm_promote, lrm_demote, lrm_notify of lrm.h are here), and the
 * rules lrm.c follows to start it as a replica and to read what its
 * resources report (pure functions of the group's definition and its
 * resources' states).
 *
 * lrm.c owns the groups and runs their operations one at a time; this
 * module adds the operations LRM_PROMOTING, LRM_DEMOTING and LRM_NOTIFYING
 * and goes through the few doors of lrm.c declared at the end.
 *
 * Per resource, the lrm keeps `prom`: the resource has been promoted here,
 * from the moment its promote begins until its demote or its stop
 * succeeded (or a probe found it a replica or stopped): while it is set the
 * resource may act as primary.
 *
 * Order (vigil.yaml(5), CLONES AND PROMOTABLE GROUPS): a replica runs the
 * resources of role promotable and all, in order, never those of role
 * primary. A promotion promotes the promotable resources in order, then
 * starts the role primary ones in order; a demotion stops the role primary
 * ones in reverse order, then demotes the promotable ones in reverse order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "daemon/lrm.h"
#include "policy/policy.h"
#include "resource/rc.h"
#include "resource/resource.h"

/* Whether cg is a promotable group whose resource r has role promotable / primary. */
bool lrm_role_promotable(const struct cfg_group *cg, size_t r);
bool lrm_role_primary_only(const struct cfg_group *cg, size_t r);

/*
 * The next resource a promotion (promote true) or demotion acts on, and
 * the operation in *ret_op (promote: RES_OP_PROMOTE, then RES_OP_START;
 * demote: RES_OP_DEMOTE, then RES_OP_STOP: the primary's address stays
 * until its database is demoted, as replicas reach it there), given the states rs (enum
 * res_state) and prom; SIZE_MAX when it is done. A promotable resource
 * that does not run is not promoted (nor demoted): lrm_promote refuses a
 * copy that is not a running replica first.
 */
size_t lrm_role_next(const struct cfg_group *cg, const uint8_t *rs, const uint8_t *prom,
                     bool promote, enum res_op *ret_op);

/*
 * A promotable copy's state from its resources' (no operation under way):
 * stop failed, stopped, running (a replica: the promotable and all ones
 * run, not promoted, the primary ones stopped), primary (everything runs,
 * the promotable ones promoted), else partial.
 */
enum pol_obs lrm_role_derive(const struct cfg_group *cg, const uint8_t *rs, const uint8_t *prom);

/*
 * Promoted resources may be active: a resource has prom set, or a resource
 * of role primary is not stopped (nor unknown: not probed yet).
 */
bool lrm_role_promoted(const struct cfg_group *cg, const uint8_t *rs, const uint8_t *prom);

/*
 * What a probe's outcome rc means for resource r of group cg: its state,
 * and whether it is promoted (*ret_prom). 8 (running as primary) and 9
 * (failed as primary) are understood for resources of role promotable;
 * for the others they are a failure, as any outcome but ok and not running.
 */
enum res_state lrm_role_probed(const struct cfg_group *cg, size_t r, enum res_rc rc,
                               bool *ret_prom);

/* ---- notifications ---- */

struct lrm_notify_run;
/* The run is over: ok when every agent notified exited 0; reason names the first that did not. */
typedef void (*lrm_notified_fn)(void *ctx, bool ok, const char *reason);

/*
 * Runs notify n (copied) on each ocf resource of group cg that runs
 * (rs[r] RES_ST_RUNNING), in order, one at a time (res: the group's
 * resource objects, which must outlive the run). A failed notify does not
 * stop the others and is no failure of the resource. cb fires exactly once,
 * from the loop, unless lrm_notify_cancel comes first. Never NULL.
 */
struct lrm_notify_run *lrm_notify_start(uv_loop_t *loop, const struct cfg_group *cg,
                                        struct res *const *res, const uint8_t *rs,
                                        const struct res_notify *n, lrm_notified_fn cb, void *ctx);
/* Cancels the run (the notify under way is killed; cb does not fire) and frees it. Accepts NULL. */
void lrm_notify_cancel(struct lrm_notify_run *run);

/* ---- the operations, called by lrm.c ---- */

/* Begins op (LRM_PROMOTING or LRM_DEMOTING) of idle group g: obs PROMOTING / DEMOTING. */
void lrm_role_begin(struct lrm *l, size_t g, enum lrm_op op);
/* The next step of the promotion or demotion of group g (lrm.c's step). */
void lrm_role_step(struct lrm *l, size_t g);
/* The resource operation of a step ended (lrm.c's on_step). */
void lrm_role_on_step(struct lrm *l, size_t g, size_t r, enum res_rc rc, const char *reason);
/*
 * A resource failed during a promotion or demotion: cancels the resource
 * operation under way (op idle). Returns the resource it acted on, whose
 * state or role is now unknown: the recovery stops it too.
 */
size_t lrm_role_abandon(struct lrm_group *G);
/* A resource failed during lrm_notify: the run is cancelled, its callback told why (op idle). */
void lrm_role_abandon_notify(struct lrm *l, size_t g, const char *why);

/* ---- the doors of lrm.c this module goes through (defined in lrm.c) ---- */

void lrm_report(struct lrm *l, size_t g);                    /* report the group's state */
void lrm_set_obs(struct lrm *l, size_t g, enum pol_obs obs); /* set it and report it */
enum pol_obs lrm_derive(const struct lrm *l, size_t g);      /* from its resources' states */
void lrm_op_over(struct lrm *l, size_t g, enum pol_obs obs); /* the operation ended */
void lrm_run_res(struct lrm *l, size_t g, size_t r, enum res_op op); /* lrm.c's on_step follows */
void lrm_step(struct lrm *l, size_t g);                              /* the operation's next step */
void lrm_recover(struct lrm *l, size_t g, size_t r); /* stop from r on: obs failed */

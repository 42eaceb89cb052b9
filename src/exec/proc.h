/*
 * Supervised child processes. A child's exit is seen at once through a pidfd
 * polled by the event loop (never by polling kill(pid, 0), which succeeds on
 * a zombie), and the child is reaped immediately.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

struct proc;

/* Called once when the child has exited and been reaped; wstatus as from waitpid. */
typedef void (*proc_exit_fn)(struct proc *p, int wstatus, void *ctx);

struct proc_opts {
    bool new_pgrp;        /* run in a process group of its own (signals go to the group) */
    bool die_with_parent; /* SIGKILL the child if the daemon dies */
    /*
     * Descriptors for the child's stdin, stdout and stderr; a negative value (or
     * no opts) inherits the daemon's. Zero is a valid descriptor, so callers set
     * all three (PROC_INHERIT for the ones they do not redirect).
     */
    int fd_in, fd_out, fd_err;
    /* The child's environment (NULL-terminated); NULL inherits the daemon's. */
    char *const *envp;
    /* Working directory; NULL keeps the daemon's. */
    const char *cwd;
    /*
     * Run as uid/gid with these supplementary groups (resolved by the caller:
     * nothing in the child may call getpwnam). Only when set_ids is true.
     */
    bool set_ids;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t n_groups;
};

#define PROC_INHERIT (-1)

/*
 * Starts argv[0] (an absolute path) with argv. stdin, stdout and stderr are
 * the daemon's unless opts redirects them; every other file descriptor is
 * closed in the child. Returns 0 and
 * stores the handle, owned by the caller, in *ret; or a negative errno (for
 * example -ENOENT when the program does not exist) and then cb never fires.
 */
int proc_spawn(uv_loop_t *loop, char *const argv[], const struct proc_opts *opts, proc_exit_fn cb,
               void *ctx, struct proc **ret);

/* The child's pid (also its process group's with new_pgrp); still valid after its exit. */
pid_t proc_pid(const struct proc *p);
/* True until the child has exited and been reaped (before the exit callback fires). */
bool proc_running(const struct proc *p);

/* Sends sig to the child (its process group when new_pgrp). 0 or a negative errno. */
int proc_signal(struct proc *p, int sig);

/* Sends SIGTERM, then SIGKILL if the child is still there after grace_ms. */
void proc_stop(struct proc *p, uint64_t grace_ms);

/*
 * Frees the handle. If the child still runs it is killed with SIGKILL first
 * and reaped. Accepts NULL. Must not be called from the exit callback of p.
 */
void proc_free(struct proc *p);

/*
 * Makes the daemon a child subreaper: processes its children leave behind
 * (a service's own children) are reparented to it, not to PID 1, so that
 * they can be reaped at once. 0 or a negative errno.
 */
int proc_become_subreaper(void);
/*
 * Reaps every exited child that was not started with proc_spawn (orphans
 * reparented to the subreaper). Call it on SIGCHLD. Returns how many. Does
 * nothing unless proc_become_subreaper succeeded.
 */
size_t proc_reap_orphans(void);

/* Describes a wait status ("exited with status 1", "killed by signal 9") in buf (64 bytes). */
const char *proc_describe_status(int wstatus, char buf[static 64]);

#include "exec/proc.h"
#include "base/util.h"

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct proc {
    uv_loop_t *loop;
    pid_t pid;
    int pidfd;
    bool running;
    bool pgrp;
    uv_poll_t poll;
    bool poll_on;
    uv_timer_t kill_timer;
    bool timer_on;
    proc_exit_fn cb;
    void *ctx;
    struct proc *next_live; /* in `live` while running */
};

/* Every running child started here: the orphan reaper must leave these to their pidfds. */
static struct proc *live;

static void live_remove(struct proc *p)
{
    for (struct proc **pp = &live; *pp; pp = &(*pp)->next_live) {
        if (*pp == p) {
            *pp = p->next_live;
            break;
        }
    }
    p->next_live = NULL;
}

static bool live_has(pid_t pid)
{
    for (struct proc *p = live; p; p = p->next_live)
        if (p->pid == pid)
            return true;
    return false;
}

/* Only a subreaper reaps what it did not start (a library user keeps its own children). */
static bool subreaper;

int proc_become_subreaper(void)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return -errno;
    subreaper = true;
    return 0;
}

size_t proc_reap_orphans(void)
{
    size_t n = 0;
    if (!subreaper)
        return 0;
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
            break;
        /* One of ours: its pidfd handler reaps it and calls us again. */
        if (live_has(si.si_pid))
            break;
        if (waitpid(si.si_pid, NULL, WNOHANG) <= 0)
            break;
        n++;
    }
    return n;
}

static int pidfd_open_compat(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(char *const argv[], const struct proc_opts *o, pid_t parent, int errfd)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    if (o && o->new_pgrp)
        setpgid(0, 0);
    int redirect[3] = {o ? o->fd_in : -1, o ? o->fd_out : -1, o ? o->fd_err : -1};
    for (int i = 0; i < 3; i++)
        if (redirect[i] >= 0 && redirect[i] != i && dup2(redirect[i], i) < 0)
            _exit(127);
    if (o && o->die_with_parent) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
    }
    int e = 0;
    if (o && o->cwd && chdir(o->cwd) < 0)
        e = errno;
    if (!e && o && o->set_ids &&
        (setgroups(o->n_groups, o->groups) < 0 || setgid(o->gid) < 0 || setuid(o->uid) < 0))
        e = errno;
    if (e) {
        ssize_t w = write(errfd, &e, sizeof(e));
        (void)w;
        _exit(127);
    }
    /* errfd is close-on-exec: it closes itself when exec succeeds. */
    if (errfd > 3)
        syscall(SYS_close_range, 3, errfd - 1, 0);
    syscall(SYS_close_range, errfd + 1, ~0U, 0);
    if (o && o->envp)
        execve(argv[0], argv, o->envp);
    else
        execv(argv[0], argv);
    e = errno;
    ssize_t w = write(errfd, &e, sizeof(e));
    (void)w;
    _exit(127);
}

static void release(struct proc *p)
{
    if (p->poll_on) {
        uv_poll_stop(&p->poll);
    }
    if (p->timer_on)
        uv_timer_stop(&p->kill_timer);
}

static void on_pidfd(uv_poll_t *h, int status, int events)
{
    struct proc *p = h->data;
    int ws = 0;
    pid_t r = waitpid(p->pid, &ws, WNOHANG);
    if (r == 0)
        return;
    if (r < 0)
        ws = 0;
    p->running = false;
    live_remove(p);
    release(p);
    proc_reap_orphans();
    if (p->cb)
        p->cb(p, ws, p->ctx);
}

int proc_spawn(uv_loop_t *loop, char *const argv[], const struct proc_opts *opts, proc_exit_fn cb,
               void *ctx, struct proc **ret)
{
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0)
        return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(errpipe[0]);
        close(errpipe[1]);
        return e;
    }
    if (pid == 0)
        child_exec(argv, opts, parent, errpipe[1]);
    close(errpipe[1]);
    int child_errno = 0;
    ssize_t n;
    do
        n = read(errpipe[0], &child_errno, sizeof(child_errno));
    while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    if (n == (ssize_t)sizeof(child_errno)) {
        waitpid(pid, NULL, 0);
        return -child_errno;
    }

    struct proc *p = xcalloc(1, sizeof(*p));
    p->loop = loop;
    p->pid = pid;
    p->running = true;
    p->pgrp = opts && opts->new_pgrp;
    p->cb = cb;
    p->ctx = ctx;
    p->next_live = live;
    live = p;
    p->pidfd = pidfd_open_compat(pid);
    int r = p->pidfd < 0 ? -errno : uv_poll_init(loop, &p->poll, p->pidfd);
    if (r == 0) {
        p->poll.data = p;
        p->poll_on = true;
        r = uv_poll_start(&p->poll, UV_READABLE, on_pidfd);
    }
    if (r < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        p->running = false;
        live_remove(p);
        proc_free(p);
        return r;
    }
    *ret = p;
    return 0;
}

pid_t proc_pid(const struct proc *p)
{
    return p->pid;
}

bool proc_running(const struct proc *p)
{
    return p->running;
}

int proc_signal(struct proc *p, int sig)
{
    if (!p->running)
        return -ESRCH;
    /* The pidfd pins the pid: it cannot have been reused while we hold it unreaped. */
    if (p->pgrp && kill(-p->pid, sig) == 0)
        return 0;
    return kill(p->pid, sig) < 0 ? -errno : 0;
}

static void on_kill_timer(uv_timer_t *t)
{
    struct proc *p = t->data;
    proc_signal(p, SIGKILL);
}

void proc_stop(struct proc *p, uint64_t grace_ms)
{
    if (!p->running)
        return;
    proc_signal(p, SIGTERM);
    if (!p->timer_on) {
        uv_timer_init(p->loop, &p->kill_timer);
        p->kill_timer.data = p;
        p->timer_on = true;
    }
    uv_update_time(p->kill_timer.loop); /* the grace counts from now */
    uv_timer_start(&p->kill_timer, on_kill_timer, grace_ms, 0);
}

/* Handles close asynchronously; the struct is freed when the last one is closed. */
struct proc_closing {
    int pending;
    struct proc *p;
};

static void on_handle_closed(uv_handle_t *h)
{
    struct proc_closing *c = h->data;
    if (--c->pending == 0) {
        if (c->p->pidfd >= 0)
            close(c->p->pidfd);
        free(c->p);
        free(c);
    }
}

void proc_free(struct proc *p)
{
    if (!p)
        return;
    if (p->running) {
        proc_signal(p, SIGKILL);
        waitpid(p->pid, NULL, 0);
        p->running = false;
    }
    live_remove(p);
    release(p);
    /* The pidfd is closed once its poll handle is closed (on_handle_closed), not before. */
    struct proc_closing *c = xcalloc(1, sizeof(*c));
    c->p = p;
    if (p->poll_on) {
        c->pending++;
        p->poll.data = c;
        uv_close((uv_handle_t *)&p->poll, on_handle_closed);
    }
    if (p->timer_on) {
        c->pending++;
        p->kill_timer.data = c;
        uv_close((uv_handle_t *)&p->kill_timer, on_handle_closed);
    }
    if (c->pending == 0) {
        if (p->pidfd >= 0)
            close(p->pidfd);
        free(p);
        free(c);
    }
}

const char *proc_describe_status(int ws, char buf[static 64])
{
    if (WIFEXITED(ws))
        snprintf(buf, 64, "exited with status %d", WEXITSTATUS(ws));
    else if (WIFSIGNALED(ws))
        snprintf(buf, 64, "killed by signal %d (%s)", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
    else
        snprintf(buf, 64, "ended (status 0x%x)", ws);
    return buf;
}

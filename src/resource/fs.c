#include "resource/fs.h"
#include "base/log.h"
#include "base/util.h"
#include "exec/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_TERM_WAIT_MS 500 /* between SIGTERM and SIGKILL to the holders */
#define FS_MAX_OUTPUT   2048
#define FS_UMOUNT_TRIES 3

struct fs_op {
    uv_loop_t *loop;
    const struct cfg_resource *r;
    enum res_op op;
    fs_done_fn cb;
    void *ctx;
    uv_timer_t deadline;
    uv_timer_t step; /* the pause between SIGTERM and SIGKILL; deferred completion */
    struct proc *proc;
    int out_fd; /* read end of the program's stdout/stderr */
    int tries;
    bool done;
    enum res_rc rc;
    char *reason;
    int closing;
};

/* Decodes the octal escapes (\040 for a space) of a mountinfo field in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *w++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
}

int fs_is_mounted(const char *mountpoint)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -errno;
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, f) > 0) {
        /* id parent major:minor root mountpoint ... */
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        for (int i = 0; tok && i < 4; i++)
            tok = strtok_r(NULL, " ", &save);
        if (!tok)
            continue;
        unescape(tok);
        found = strcmp(tok, mountpoint) == 0;
    }
    free(line);
    fclose(f);
    return found;
}

static bool under(const char *path, const char *mp, size_t mplen)
{
    return strncmp(path, mp, mplen) == 0 && (path[mplen] == '\0' || path[mplen] == '/');
}

static bool link_under(const char *link, const char *mp, size_t mplen)
{
    char target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    return under(target, mp, mplen);
}

static bool holds(pid_t pid, const char *mp, size_t mplen)
{
    char path[PATH_MAX];
    static const char *const links[] = {"cwd", "root", "exe"};
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, links[i]);
        if (link_under(path, mp, mplen))
            return true;
    }
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        bool found = false;
        while (!found && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char fd[PATH_MAX + 256];
            snprintf(fd, sizeof(fd), "%s/%s", path, e->d_name);
            found = link_under(fd, mp, mplen);
        }
        closedir(d);
        if (found)
            return true;
    }
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, f) > 0) {
        char *slash = strchr(line, '/');
        if (!slash)
            continue;
        slash[strcspn(slash, "\n")] = '\0';
        found = under(slash, mp, mplen);
    }
    free(line);
    fclose(f);
    return found;
}

size_t fs_signal_holders(const char *mountpoint, int sig)
{
    size_t mplen = strlen(mountpoint);
    while (mplen > 1 && mountpoint[mplen - 1] == '/')
        mplen--;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    size_t n = 0;
    pid_t self = getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1 || pid == self)
            continue;
        if (holds((pid_t)pid, mountpoint, mplen) && kill((pid_t)pid, sig) == 0) {
            log_info("sent signal %d to process %ld, which holds %s", sig, pid, mountpoint);
            n++;
        }
    }
    closedir(d);
    return n;
}

static void on_step_done(uv_timer_t *t);

static void complete(struct fs_op *op, enum res_rc rc, const char *reason)
{
    if (op->done)
        return;
    op->done = true;
    op->rc = rc;
    op->reason = xstrdup(reason ?: "");
    uv_timer_stop(&op->deadline);
    uv_timer_start(&op->step, on_step_done, 0, 0);
}

static void on_closed(uv_handle_t *h)
{
    struct fs_op *op = h->data;
    if (--op->closing == 0) {
        free(op->reason);
        free(op);
    }
}

static void destroy(struct fs_op *op)
{
    proc_free(op->proc);
    op->proc = NULL;
    if (op->out_fd >= 0)
        close(op->out_fd);
    op->out_fd = -1;
    op->closing = 2;
    uv_close((uv_handle_t *)&op->deadline, on_closed);
    uv_close((uv_handle_t *)&op->step, on_closed);
}

static void on_step_done(uv_timer_t *t)
{
    struct fs_op *op = t->data;
    op->cb(op->ctx, op->rc, op->reason);
    destroy(op);
}

/* The last line of the program's output, made printable. */
static char *read_output(struct fs_op *op)
{
    char buf[FS_MAX_OUTPUT];
    size_t len = 0;
    ssize_t n;
    while (op->out_fd >= 0 && len < sizeof(buf) - 1 &&
           (n = read(op->out_fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    char *last = strrchr(buf, '\n');
    last = last ? last + 1 : buf;
    for (char *p = last; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return xstrdup(last);
}

static void run_umount(struct fs_op *op);

static void on_prog_exit(struct proc *p, int wstatus, void *ctx)
{
    struct fs_op *op = ctx;
    _cleanup_free_ char *out = read_output(op);
    close(op->out_fd);
    op->out_fd = -1;
    bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    char desc[64];
    proc_describe_status(wstatus, desc);
    if (op->op == RES_OP_START) {
        if (ok) {
            complete(op, RES_RC_OK, "");
        } else {
            _cleanup_free_ char *why = xasprintf("mount %s on %s %s%s%s", op->r->device,
                                                 op->r->mountpoint, desc, *out ? ": " : "", out);
            complete(op, RES_RC_FAILED, why);
        }
        return;
    }
    if (ok || fs_is_mounted(op->r->mountpoint) == 0) {
        complete(op, RES_RC_OK, "");
        return;
    }
    if (++op->tries < FS_UMOUNT_TRIES) {
        log_warn("umount %s %s%s%s; killing its holders and trying again", op->r->mountpoint, desc,
                 *out ? ": " : "", out);
        fs_signal_holders(op->r->mountpoint, SIGKILL);
        run_umount(op);
        return;
    }
    _cleanup_free_ char *why =
        xasprintf("umount %s %s%s%s", op->r->mountpoint, desc, *out ? ": " : "", out);
    complete(op, RES_RC_FAILED, why);
}

static void spawn_prog(struct fs_op *op, char *const argv[])
{
    proc_free(op->proc);
    op->proc = NULL;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
        complete(op, RES_RC_FAILED, strerror(errno));
        return;
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct proc_opts o = {.new_pgrp = true,
                          .die_with_parent = true,
                          .fd_in = devnull,
                          .fd_out = pfd[1],
                          .fd_err = pfd[1]};
    int r = proc_spawn(op->loop, argv, &o, on_prog_exit, op, &op->proc);
    close(pfd[1]);
    if (devnull >= 0)
        close(devnull);
    if (op->out_fd >= 0)
        close(op->out_fd);
    op->out_fd = pfd[0];
    if (r < 0) {
        _cleanup_free_ char *why = xasprintf("cannot run %s: %s", argv[0], strerror(-r));
        complete(op, r == -ENOENT ? RES_RC_NOT_INSTALLED : RES_RC_FAILED, why);
    }
}

static void run_umount(struct fs_op *op)
{
    char *argv[] = {(char *)"/bin/umount", (char *)op->r->mountpoint, NULL};
    spawn_prog(op, argv);
}

static void on_term_wait(uv_timer_t *t)
{
    struct fs_op *op = t->data;
    fs_signal_holders(op->r->mountpoint, SIGKILL);
    run_umount(op);
}

static void on_deadline(uv_timer_t *t)
{
    struct fs_op *op = t->data;
    if (op->proc)
        proc_signal(op->proc, SIGKILL);
    _cleanup_free_ char *why =
        xasprintf("%s of %s timed out", res_op_name(op->op), op->r->mountpoint);
    complete(op, RES_RC_TIMEOUT, why);
}

static void mkdirs(const char *path)
{
    _cleanup_free_ char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

struct fs_op *fs_op_start(uv_loop_t *loop, const struct cfg_resource *r, enum res_op o,
                          uint64_t timeout_ms, fs_done_fn cb, void *ctx)
{
    struct fs_op *op = xcalloc(1, sizeof(*op));
    op->loop = loop;
    op->r = r;
    op->op = o;
    op->cb = cb;
    op->ctx = ctx;
    op->out_fd = -1;
    uv_timer_init(loop, &op->deadline);
    uv_timer_init(loop, &op->step);
    op->deadline.data = op->step.data = op;
    if (timeout_ms) {
        uv_update_time(loop); /* the deadline counts from now */
        uv_timer_start(&op->deadline, on_deadline, timeout_ms, 0);
    }
    int m = fs_is_mounted(r->mountpoint);
    switch (o) {
    case RES_OP_MONITOR:
    case RES_OP_PROBE:
        if (m < 0)
            complete(op, RES_RC_FAILED, "cannot read /proc/self/mountinfo");
        else
            complete(op, m ? RES_RC_OK : RES_RC_NOT_RUNNING, m ? "" : "not mounted");
        break;
    case RES_OP_START: {
        if (m > 0) {
            complete(op, RES_RC_OK, "already mounted");
            break;
        }
        mkdirs(r->mountpoint);
        char *argv[10];
        size_t k = 0;
        argv[k++] = (char *)"/bin/mount";
        if (r->fstype) {
            argv[k++] = (char *)"-t";
            argv[k++] = r->fstype;
        }
        if (r->options) {
            argv[k++] = (char *)"-o";
            argv[k++] = r->options;
        }
        argv[k++] = r->device;
        argv[k++] = r->mountpoint;
        argv[k] = NULL;
        spawn_prog(op, argv);
        break;
    }
    case RES_OP_STOP:
        if (m == 0) {
            complete(op, RES_RC_OK, "");
            break;
        }
        if (fs_signal_holders(r->mountpoint, SIGTERM) > 0)
            uv_timer_start(&op->step, on_term_wait, FS_TERM_WAIT_MS, 0);
        else
            run_umount(op);
        break;
    case RES_OP_PROMOTE: /* resource.c refuses these for fs resources */
    case RES_OP_DEMOTE:
    case RES_OP_NOTIFY:
    case RES_OP_MAX:
        complete(op, RES_RC_FAILED, "bad operation");
        break;
    }
    return op;
}

void fs_op_cancel(struct fs_op *op)
{
    if (!op)
        return;
    uv_timer_stop(&op->deadline);
    uv_timer_stop(&op->step);
    destroy(op);
}

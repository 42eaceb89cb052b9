/*
 * Filesystem resources (src/resource/fs.c), in a private mount namespace of
 * the test's own: mount, probe, stop with a process holding the mountpoint
 * (it is killed first), a mount that fails, and mountinfo escapes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "base/util.h"
#include "resource/fs.h"

struct got {
    bool done;
    enum res_rc rc;
    char reason[256];
};

static void on_done(void *ctx, enum res_rc rc, const char *reason)
{
    struct got *g = ctx;
    g->done = true;
    g->rc = rc;
    snprintf(g->reason, sizeof(g->reason), "%s", reason);
}

static struct got run_op(struct cfg_resource *r, enum res_op op, uint64_t timeout_ms)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {0};
    fs_op_start(&loop, r, op, timeout_ms, on_done, &g);
    assert_false(g.done); /* never from within fs_op_start */
    while (!g.done)
        uv_run(&loop, UV_RUN_ONCE);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return g;
}

static char dir[64];

static int setup(void **state)
{
    /* A mount namespace of our own: nothing mounted here is seen outside. */
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -1;
    snprintf(dir, sizeof(dir), "/tmp/vigil-test-fs-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    char mp[128];
    snprintf(mp, sizeof(mp), "%s/data dir", dir);
    umount2(mp, MNT_DETACH);
    rmdir(mp);
    rmdir(dir);
    return 0;
}

static struct cfg_resource tmpfs_res(char *mp)
{
    return (struct cfg_resource){.name = (char *)"data",
                                 .type = CFG_RES_FS,
                                 .device = (char *)"vigil-test",
                                 .mountpoint = mp,
                                 .fstype = (char *)"tmpfs",
                                 .options = (char *)"size=1m"};
}

static void test_mount_probe_umount(void **state)
{
    char mp[128];
    /* A space in the path: mountinfo writes it as \040. */
    snprintf(mp, sizeof(mp), "%s/data dir", dir);
    struct cfg_resource r = tmpfs_res(mp);
    struct got g = run_op(&r, RES_OP_PROBE, 5000);
    assert_int_equal(g.rc, RES_RC_NOT_RUNNING);
    g = run_op(&r, RES_OP_START, 5000);
    assert_int_equal(g.rc, RES_RC_OK);
    assert_int_equal(fs_is_mounted(mp), 1);
    g = run_op(&r, RES_OP_MONITOR, 5000);
    assert_int_equal(g.rc, RES_RC_OK);
    /* Started twice: already mounted is fine. */
    g = run_op(&r, RES_OP_START, 5000);
    assert_int_equal(g.rc, RES_RC_OK);
    g = run_op(&r, RES_OP_STOP, 5000);
    assert_int_equal(g.rc, RES_RC_OK);
    assert_int_equal(fs_is_mounted(mp), 0);
    g = run_op(&r, RES_OP_STOP, 5000);
    assert_int_equal(g.rc, RES_RC_OK);
}

static void test_stop_kills_holders(void **state)
{
    char mp[128], file[160];
    snprintf(mp, sizeof(mp), "%s/data dir", dir);
    snprintf(file, sizeof(file), "%s/held", mp);
    struct cfg_resource r = tmpfs_res(mp);
    assert_int_equal(run_op(&r, RES_OP_START, 5000).rc, RES_RC_OK);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* A holder that ignores SIGTERM, with a file open and its cwd inside. */
        signal(SIGTERM, SIG_IGN);
        int fd = open(file, O_CREAT | O_RDWR, 0644);
        if (fd < 0 || chdir(mp) < 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    close(ready[1]);
    struct got g = run_op(&r, RES_OP_STOP, 10000);
    assert_int_equal(g.rc, RES_RC_OK);
    assert_int_equal(fs_is_mounted(mp), 0);
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
}

static void test_mount_failure_says_why(void **state)
{
    char mp[128];
    snprintf(mp, sizeof(mp), "%s/data dir", dir);
    struct cfg_resource r = tmpfs_res(mp);
    r.device = (char *)"/dev/vigil-no-such-disk";
    r.fstype = (char *)"ext4";
    r.options = NULL;
    struct got g = run_op(&r, RES_OP_START, 5000);
    assert_int_equal(g.rc, RES_RC_FAILED);
    assert_non_null(strstr(g.reason, "mount /dev/vigil-no-such-disk on"));
    assert_int_equal(fs_is_mounted(mp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mount_probe_umount),
        cmocka_unit_test(test_stop_kills_holders),
        cmocka_unit_test(test_mount_failure_says_why),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

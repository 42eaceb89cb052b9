/*
 * The loader's I/O, and the only I/O in it: reading vigil.yaml, and, when
 * the load asks for it with CFG_LOAD_CHECK_FILES, checking the files,
 * programs and users the configuration names (the cluster key, fence agents
 * and secrets, OCF agents and init scripts, scripts and commands, users).
 * Every other file of the loader is pure.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "config/load.h"

/* Reads the whole file, with one diagnostic without a position when it cannot. */
int files_read(const char *path, struct cfg_diags *diags, char **ret_buf, size_t *ret_len)
{
    int r = read_file(path, CFG_MAX_FILE_SIZE, ret_buf, ret_len);
    if (r == -EFBIG) {
        cfg_diags_add(diags, CFG_SEV_ERROR, path, 0, 0,
                      "the file is too large (more than %u bytes)", CFG_MAX_FILE_SIZE);
        return r;
    }
    if (r < 0) {
        cfg_diags_add(diags, CFG_SEV_ERROR, path, 0, 0, "cannot read: %s", strerror(-r));
        return r;
    }
    return 0;
}

/* The cluster key must be a readable regular file of a key's size, private to its owner. */
void files_check_key(struct loader *ld)
{
    const char *path = ld->c->key_path;
    const struct ynode *at = ld->key ? ld->key : ld->cluster;
    const char *dflt = ld->key ? "" : " (the default)";
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        report_error(ld, at, "key file %s%s cannot be read: %s", path, dflt, strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        report_error(ld, at, "key file %s%s cannot be read: %s", path, dflt, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        report_error(ld, at, "key file %s%s is not a regular file", path, dflt);
    } else if (st.st_size < CFG_MIN_KEY_SIZE || st.st_size > CFG_MAX_KEY_SIZE) {
        report_error(ld, at,
                     "key file %s%s has %lld bytes; a key has %d to %d bytes (create one with "
                     "corosync-keygen -k %s)",
                     path, dflt, (long long)st.st_size, CFG_MIN_KEY_SIZE, CFG_MAX_KEY_SIZE, path);
    } else if (st.st_mode & (S_IRGRP | S_IROTH)) {
        report_warning(ld, at,
                       "key file %s%s is readable by group or others (mode %04o); run chmod 600 %s",
                       path, dflt, (unsigned)(st.st_mode & 07777), path);
    }
    close(fd);
}

/* A program root may run: a regular file with an x bit (CFG_LOAD_CHECK_FILES). */
void files_check_executable(struct loader *ld, const struct ynode *at, const char *what,
                            const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        report_error(ld, at, "%s %s: %s", what, path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        report_error(ld, at, "%s %s is not a regular file", what, path);
    else if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) ||
             (geteuid() == 0 && access(path, X_OK) < 0))
        report_error(ld, at, "%s %s is not executable", what, path);
}

/* The agent of an ocf resource, or the init script of an lsb one, must be there to run. */
void files_check_agent(struct loader *ld, const struct cfg_resource *r, const struct ynode *at,
                       const char *who)
{
    bool ocf = r->type == CFG_RES_OCF;
    _cleanup_free_ char *path =
        ocf ? xasprintf("%s/resource.d/%s/%s", ld->c->ocf_root, r->provider, r->agent)
            : xasprintf("%s/%s", CFG_DEFAULT_LSB_DIR, r->agent);
    struct stat st;
    if (stat(path, &st) < 0 && errno == ENOENT) {
        if (ocf)
            report_error(ld, at, "%s: unknown agent ocf:%s:%s (there is no %s)", who, r->provider,
                         r->agent, path);
        else
            report_error(ld, at, "%s: unknown init script lsb:%s (there is no %s)", who, r->agent,
                         path);
        return;
    }
    _cleanup_free_ char *what = xasprintf("%s: %s", who, ocf ? "OCF agent" : "init script");
    files_check_executable(ld, at, what, path);
}

/* The user a process runs as must exist in this node's user database. */
void files_check_user(struct loader *ld, const struct ynode *at, const char *who, const char *name)
{
    if (!getpwnam(name))
        report_error(ld, at, "%s: unknown user '%s' (not in the user database of this node)", who,
                     name);
}

/* The secrets file must be a readable regular file, private to its owner. */
static void check_fence_secrets(struct loader *ld, const struct ynode *at, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        report_error(ld, at, "fence secrets file %s cannot be read: %s", path, strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        report_error(ld, at, "fence secrets file %s cannot be read: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        report_error(ld, at, "fence secrets file %s is not a regular file", path);
    else if (st.st_mode & (S_IRGRP | S_IROTH))
        report_warning(
            ld, at,
            "fence secrets file %s is readable by group or others (mode %04o); run chmod 600 %s",
            path, (unsigned)(st.st_mode & 07777), path);
    close(fd);
}

/* Every fence device's agent must be executable, and its secrets file readable. */
void files_check_fencing(struct loader *ld)
{
    struct cfg *c = ld->c;
    for (size_t i = 0; i < c->n_fence_devices; i++) {
        if (ld->fdev[i].agent)
            files_check_executable(ld, ld->fdev[i].agent, "fence agent", c->fence_devices[i].agent);
        if (ld->fdev[i].secrets)
            check_fence_secrets(ld, ld->fdev[i].secrets, c->fence_devices[i].secrets);
    }
}

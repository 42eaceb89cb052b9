/*
 * The serialised writer of the state that an acknowledgement promises (the
 * cluster database; the configuration file, its archived text and its
 * record). One statewrite object stands for one piece of state, made of one
 * or more files:
 *
 *  - one write in flight at a time, on the loop's thread pool, so two writes
 *    of a file never overlap (they would share write_file_atomic's
 *    temporary name) and an older content never lands after a newer one;
 *  - what is submitted while a write is in flight is queued; a newer content
 *    of a file replaces its older queued content (superseded: never
 *    written), other files keep their place; the queue is written as one
 *    write, in the order its files were first submitted;
 *  - each file with write_file_atomic: write, fsync, rename, fsync of the
 *    directory, each step checked; a write stops at the first file that
 *    fails and its result is that error;
 *  - each submission's callback fires once, on the loop's thread, after the
 *    write that carries its content (or a newer content of the same files)
 *    is durable, with that write's result (0 or a negative errno).
 *
 * So when a callback reports 0, the content it was given, or a newer one, is
 * on disk, with every file submitted before it. Files submitted together
 * reach the disk in the order given: put a file before the one that names it
 * (a text before the record of its version).
 *
 * Two statewrite objects must never share a file. Not thread-safe: use it
 * from the loop's thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

/* One file of a submission; everything is copied by statewrite_submit. */
struct statewrite_file {
    const char *path;
    const void *data;
    size_t len;
    unsigned mode; /* permission bits of the new file */
    /*
     * NULL, or a file (path itself, say) whose permission bits the new file
     * takes when it exists at the time of the write (mode otherwise).
     */
    const char *mode_from;
    /* Create the file's directory (mode 0700, made durable) when it is missing. */
    bool make_dir;
};

/*
 * The end of a submission (or of a statewrite_flush): result is 0 (durable),
 * a negative errno (the write failed: the file holds its previous content),
 * or -ECANCELED (statewrite_free was called first: only release arg).
 */
typedef void (*statewrite_done_fn)(void *arg, int result);

/* Run on the worker thread after each write that succeeded (pruning old files). */
typedef void (*statewrite_tidy_fn)(const char *arg);

/*
 * A writer whose writes run on loop's thread pool. loop NULL: each write is
 * done synchronously inside statewrite_submit, callback included (tests and
 * tools). Never NULL; owned by the caller (statewrite_free).
 */
struct statewrite *statewrite_new(uv_loop_t *loop);

/*
 * Sets fn to run, on the worker thread, with arg (copied) after every write
 * that succeeded, before its callbacks fire. fn must only touch the disk.
 */
void statewrite_set_tidy(struct statewrite *sw, statewrite_tidy_fn fn, const char *arg);

/*
 * Writes files[0..n) in order (each atomically), after the write in flight
 * if there is one. done (may be NULL) is called with arg once, as described
 * above; with a loop, never from within this call. A done and arg already
 * waiting for the queued write are not added a second time (one callback per
 * write for an owner that submits every change).
 */
void statewrite_submit(struct statewrite *sw, const struct statewrite_file *files, size_t n,
                       statewrite_done_fn done, void *arg);

/*
 * Calls done(arg, result) once everything submitted so far is durable (or
 * failed), never from within this call. Returns 0, or -EALREADY when nothing
 * is pending (every write already ended; done is never called).
 */
int statewrite_flush(struct statewrite *sw, statewrite_done_fn done, void *arg);

/* True while a write is in flight or queued. */
bool statewrite_pending(const struct statewrite *sw);

/*
 * Detaches the owner: every callback still waiting is called at once, from
 * within this call, with -ECANCELED, and none is called afterwards. A write
 * in flight, and the queued content after it, are still written (nothing
 * the owner handed over is lost); the object frees itself when they are
 * done, so keep running the loop. Accepts NULL.
 */
void statewrite_free(struct statewrite *sw);

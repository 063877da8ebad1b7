/*
 * Rules hot reload: watch, debounce, compile in the background, hand over at a batch boundary.
 *
 * Watching: each rules path is watched itself, and so is its parent directory (an editor or
 * `kubectl` replaces files by rename, which only the directory sees), and every directory under
 * a rules directory. After each change the watches are set up again before compiling, so a
 * directory created meanwhile is watched and a change made while compiling triggers another
 * round. Changes come in bursts (an editor writes, renames, chmods; a ConfigMap swap is three
 * operations), so a build starts only once the files have been quiet for DEBOUNCE_S.
 *
 * Hand-over: the thread never touches the engine the pipeline scans with. It parks a new engine
 * in `pending`; the pipeline thread swaps it in when no event is in flight and then calls
 * commit, which frees the old one. While an engine is pending the thread builds no other.
 */
#include "weir/reload.h"

#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "weir/clock.h"
#include "weir/log.h"

#define DEBOUNCE_S 0.3
#define POLL_MS 100
#define WATCH_MASK                                                                               \
    (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF |    \
     IN_MOVE_SELF)

struct weir_reloader {
    pthread_t thread;
    int started;
    atomic_int stopping;
    int ifd; /* inotify; -1 when unavailable (SIGHUP still works) */
    char **paths;
    size_t npaths;
    weir_reload_build_fn build;
    void *ctx;
    volatile sig_atomic_t *hup;

    pthread_mutex_t mu;       /* guards current, pending and the counters */
    weir_engine *current;     /* freed by commit or stop; read by the thread for its hash */
    weir_engine *pending;     /* built, waiting for the pipeline */
    _Atomic(weir_engine *) offer; /* == pending, readable without the lock by the pipeline */
    uint64_t reloads, failures;
};

/* Watches dir and the directories under it (not following symlinks: a ConfigMap's `..data`
 * link points at a directory inside dir, which is walked anyway). Best effort: a directory that
 * vanishes meanwhile is skipped. */
static void watch_tree(int fd, const char *dir, int depth)
{
    /* the path given may itself be a symlink to a directory: follow that one only */
    uint32_t follow = depth == 0 ? 0 : IN_DONT_FOLLOW;
    if (depth > 16 || inotify_add_watch(fd, dir, WATCH_MASK | IN_ONLYDIR | follow) < 0)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            de->d_type != DT_DIR)
            continue;
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub))
            watch_tree(fd, sub, depth + 1);
    }
    closedir(d);
}

/* (Re)creates the inotify instance with a watch on every path, its parent and its subdirs. */
static void rewatch(weir_reloader *r)
{
    if (r->ifd >= 0)
        close(r->ifd);
    if ((r->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
        wlog(WLOG_WARN, "cannot watch the rules files; reload with SIGHUP", "error",
             strerror(errno), NULL);
        return;
    }
    for (size_t i = 0; i < r->npaths; i++) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", r->paths[i]);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
        else if (slash)
            slash[1] = '\0';
        else
            snprintf(parent, sizeof(parent), ".");
        inotify_add_watch(r->ifd, parent, WATCH_MASK);
        inotify_add_watch(r->ifd, r->paths[i], WATCH_MASK); /* follows a symlink to its file */
        watch_tree(r->ifd, r->paths[i], 0);
    }
}

/* Reads and discards the queued events; returns 1 when there were any. */
static int drain_events(weir_reloader *r)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int any = 0;
    if (r->ifd < 0)
        return 0;
    while (read(r->ifd, buf, sizeof(buf)) > 0)
        any = 1;
    return any;
}

static void build_once(weir_reloader *r, const char *why)
{
    char err[1024];
    rewatch(r);
    double t0 = weir_now_s();
    weir_engine *e = r->build(r->ctx, err, sizeof(err));
    pthread_mutex_lock(&r->mu);
    const char *cur = weir_engine_rules_hash(r->current);
    if (!e) {
        r->failures++;
        pthread_mutex_unlock(&r->mu);
        wlog(WLOG_ERROR, "rules reload failed; the rules in use keep running", "trigger", why,
             "error", err, "rules_version", cur, NULL);
        return;
    }
    if (strcmp(weir_engine_rules_hash(e), cur) == 0) {
        pthread_mutex_unlock(&r->mu);
        wlog(WLOG_INFO, "rules unchanged; nothing to reload", "trigger", why, "rules_version",
             cur, NULL);
        weir_engine_destroy(e);
        return;
    }
    r->pending = e;
    atomic_store(&r->offer, e);
    pthread_mutex_unlock(&r->mu);
    char ms[32], nr[32];
    snprintf(ms, sizeof(ms), "%.0f", (weir_now_s() - t0) * 1000);
    snprintf(nr, sizeof(nr), "%zu", weir_engine_nrules(e));
    wlog(WLOG_INFO, "new rules compiled; swapping at the next batch boundary", "trigger", why,
         "rules", nr, "compile_ms", ms, "rules_version", weir_engine_rules_hash(e), NULL);
}

static void *reload_main(void *arg)
{
    weir_reloader *r = arg;
    int dirty = 0;
    double last_change = 0;
    while (!atomic_load(&r->stopping)) {
        struct pollfd pfd = {.fd = r->ifd, .events = POLLIN};
        int n = poll(&pfd, r->ifd >= 0 ? 1 : 0, POLL_MS);
        if (n > 0 && drain_events(r)) {
            dirty = 1;
            last_change = weir_now_s();
        }
        if (atomic_load(&r->offer))
            continue; /* one hand-over at a time; changes meanwhile stay dirty */
        if (r->hup && *r->hup) {
            *r->hup = 0;
            dirty = 0;
            build_once(r, "SIGHUP");
        } else if (dirty && weir_now_s() - last_change >= DEBOUNCE_S) {
            dirty = 0;
            build_once(r, "rules changed on disk");
        }
    }
    return NULL;
}

weir_reloader *weir_reloader_start(weir_engine *current, const char *const *paths, size_t npaths,
                                   weir_reload_build_fn build, void *ctx,
                                   volatile sig_atomic_t *hup, char *err, size_t errlen)
{
    weir_reloader *r = calloc(1, sizeof(*r));
    if (!r || !(r->paths = calloc(npaths ? npaths : 1, sizeof(char *)))) {
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->ifd = -1;
    r->build = build;
    r->ctx = ctx;
    r->hup = hup;
    pthread_mutex_init(&r->mu, NULL);
    atomic_init(&r->offer, NULL);
    atomic_init(&r->stopping, 0);
    for (size_t i = 0; i < npaths; i++) {
        if (!(r->paths[i] = strdup(paths[i]))) {
            weir_reloader_stop(r);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        r->npaths++;
    }
    rewatch(r);
    if (pthread_create(&r->thread, NULL, reload_main, r) != 0) {
        weir_reloader_stop(r);
        snprintf(err, errlen, "cannot start the rules reload thread");
        return NULL;
    }
    r->started = 1;
    r->current = current; /* only now: on failure above the caller still owns it */
    return r;
}

const weir_engine *weir_reloader_current(weir_reloader *r)
{
    return r->current;
}

const weir_engine *weir_reloader_pending(weir_reloader *r)
{
    return atomic_load_explicit(&r->offer, memory_order_acquire);
}

void weir_reloader_commit(weir_reloader *r)
{
    pthread_mutex_lock(&r->mu);
    weir_engine *old = r->current;
    r->current = r->pending;
    r->pending = NULL;
    r->reloads++;
    char from[32];
    snprintf(from, sizeof(from), "%s", weir_engine_rules_hash(old));
    atomic_store(&r->offer, NULL);
    pthread_mutex_unlock(&r->mu);
    char nr[32];
    snprintf(nr, sizeof(nr), "%zu", weir_engine_nrules(r->current));
    wlog(WLOG_INFO, "rules reloaded", "rules", nr, "rules_version",
         weir_engine_rules_hash(r->current), "previous_version", from, NULL);
    weir_engine_destroy(old);
}

void weir_reloader_refuse(weir_reloader *r, const char *reason)
{
    pthread_mutex_lock(&r->mu);
    weir_engine *e = r->pending;
    r->pending = NULL;
    r->failures++;
    atomic_store(&r->offer, NULL);
    pthread_mutex_unlock(&r->mu);
    wlog(WLOG_ERROR, "rules reload failed; the rules in use keep running", "error", reason,
         "rules_version", weir_engine_rules_hash(r->current), NULL);
    weir_engine_destroy(e);
}

void weir_reloader_counts(weir_reloader *r, uint64_t *reloads, uint64_t *failures)
{
    pthread_mutex_lock(&r->mu);
    *reloads = r->reloads;
    *failures = r->failures;
    pthread_mutex_unlock(&r->mu);
}

void weir_reloader_stop(weir_reloader *r)
{
    if (!r)
        return;
    atomic_store(&r->stopping, 1);
    if (r->started)
        pthread_join(r->thread, NULL);
    if (r->ifd >= 0)
        close(r->ifd);
    for (size_t i = 0; i < r->npaths; i++)
        free(r->paths[i]);
    free(r->paths);
    weir_engine_destroy(r->pending);
    weir_engine_destroy(r->current);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

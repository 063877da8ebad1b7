/*
 * Hot reload of the rules: a background thread watches the rules files (inotify) and a SIGHUP
 * flag, compiles a new engine when either fires, and offers it to the pipeline, which swaps it
 * in at a batch boundary (filter/pipeline.c). A build that fails leaves the engine in use
 * running; the failure is logged with its reason and counted.
 *
 * Kubernetes ConfigMap volumes update by renaming a `..data` symlink in the mounted directory;
 * the directory itself is watched, so that rename is seen like any edit.
 */
#ifndef WEIR_RELOAD_H
#define WEIR_RELOAD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "weir/engine.h"

typedef struct weir_reloader weir_reloader;

/* Builds an engine from the rules' current content; NULL with err when it cannot. Runs on the
 * reloader's thread. */
typedef weir_engine *(*weir_reload_build_fn)(void *ctx, char *err, size_t errlen);

/*
 * Starts the reloader with the engine in use (ownership passes to the reloader, which frees it
 * after a swap or at stop). paths are the rules files or directories to watch (copied); hup,
 * when not NULL, is a flag a SIGHUP handler sets and the reloader clears. NULL with err on
 * failure (the engine then still belongs to the caller).
 */
weir_reloader *weir_reloader_start(weir_engine *current, const char *const *paths, size_t npaths,
                                   weir_reload_build_fn build, void *ctx,
                                   volatile sig_atomic_t *hup, char *err, size_t errlen);

/* The engine in use. */
const weir_engine *weir_reloader_current(weir_reloader *r);

/* A newly built engine waiting to be swapped in, or NULL. Pipeline thread only. */
const weir_engine *weir_reloader_pending(weir_reloader *r);

/* The pipeline now scans with the pending engine: it becomes current, the old one is freed. */
void weir_reloader_commit(weir_reloader *r);

/* The pipeline could not swap the pending engine in (reason): it is dropped and counted. */
void weir_reloader_refuse(weir_reloader *r, const char *reason);

/* Reloads swapped in, and reloads that failed (build or swap). */
void weir_reloader_counts(weir_reloader *r, uint64_t *reloads, uint64_t *failures);

/* Stops the thread and frees every engine it holds. NULL is ignored. */
void weir_reloader_stop(weir_reloader *r);

#endif

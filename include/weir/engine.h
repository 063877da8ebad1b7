/*
 * The detection engine: one Hyperscan database compiled from a whole rule set, shared read-only
 * by every thread, and one scanner per thread that owns its scratch and result buffers, so the
 * per-event path allocates nothing.
 */
#ifndef WEIR_ENGINE_H
#define WEIR_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "weir/rules.h"

typedef struct weir_engine weir_engine;
typedef struct weir_scanner weir_scanner;

/* The rules one event matched: indices into the engine's rule set, ascending, no duplicates.
 * Points into scanner-owned memory, valid until the next scan on that scanner. */
typedef struct weir_hits {
    const uint32_t *rules;
    size_t n;
} weir_hits;

/*
 * Compiles every expression of *rs into one database. On success the engine owns rs.
 * On failure rs stays the caller's, and err names the file, line and rule of the expression
 * Hyperscan rejected, with Hyperscan's reason.
 */
int weir_engine_new(weir_engine **out, weir_ruleset *rs, char *err, size_t errlen);
void weir_engine_destroy(weir_engine *e);

const weir_ruleset *weir_engine_rules(const weir_engine *e);
/* A short hex digest of the rule set (ids, expressions, flags): the "rules version". */
const char *weir_engine_rules_hash(const weir_engine *e);
size_t weir_engine_db_bytes(const weir_engine *e);
double weir_engine_compile_ms(const weir_engine *e);

weir_scanner *weir_scanner_new(const weir_engine *e, char *err, size_t errlen);
void weir_scanner_destroy(weir_scanner *s);

/* Scans one event; fills *hits. Returns 0, or -1 with err set (a Hyperscan runtime error). */
int weir_scanner_scan(weir_scanner *s, const void *data, size_t len, weir_hits *hits, char *err,
                      size_t errlen);

#endif

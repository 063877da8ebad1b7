/*
 * The detection engine: Sigma rules compiled into Hyperscan databases, shared read-only by every
 * thread, and one scanner per thread that owns its scratch, its parsed event and its result
 * buffers, so the per-event path allocates nothing.
 *
 * How a Sigma rule becomes Hyperscan work (details in filter/engine.c):
 *   - every value test of a rule is an "atom": a Hyperscan expression scoped to one field (or
 *     to the raw event, for keywords), or a direct test Hyperscan cannot express (exists, null,
 *     cidr, numeric comparison);
 *   - all Hyperscan atoms on the same field, from all rules, form one database per field; one
 *     more database holds every keyword atom and scans the raw event;
 *   - after an event's fields have been scanned, each rule that an atom touched is evaluated
 *     exactly (and, or, not, 1 of, all of) over the atoms' truth values. Evaluating after the
 *     whole event is why `and not` is exact: Hyperscan's own logical combinations evaluate NOT
 *     per match offset.
 */
#ifndef WEIR_ENGINE_H
#define WEIR_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weir/event.h"
#include "weir/sigma.h"

typedef struct weir_engine weir_engine;
typedef struct weir_scanner weir_scanner;

/* What an alert reports about a rule. */
typedef struct weir_rule {
    char *id;
    char *title;
    char *level; /* informational|low|medium|high|critical */
    char **tags;
    size_t ntags;
    char *file;
    unsigned line;
} weir_rule;

/* One rule the loader or the compiler turned down, with the reason. */
typedef struct weir_rejection {
    char *file;
    unsigned line;
    char *id;      /* NULL when the rule had none */
    char *message; /* "FILE:LINE: rule ID: reason" */
} weir_rejection;

typedef struct weir_build_report {
    size_t nrules;     /* rules seen (loaded + rejected by the loader) */
    size_t ncompiled;  /* rules in the engine */
    weir_rejection *rejected;
    size_t nrejected;
    size_t natoms;     /* distinct Hyperscan expressions */
    size_t ndatabases; /* one per field with atoms, plus the keyword database */
} weir_build_report;

void weir_build_report_free(weir_build_report *rep);

/*
 * Compiles every loaded rule of set. Rules that cannot be honoured exactly (a regex Hyperscan
 * refuses, a field no parser produces, a logsource weir does not read) are rejected into *rep,
 * together with the loader's own rejections; the others still compile. Returns 0 when an engine
 * with at least one rule was built, -1 with err otherwise. The engine copies what it needs: set
 * may be destroyed afterwards.
 */
int weir_engine_build(weir_engine **out, const sigma_ruleset *set, weir_build_report *rep,
                      char *err, size_t errlen);
void weir_engine_destroy(weir_engine *e);

/*
 * Writes the compiled engine to path (atomically: a temporary file renamed into place), with a
 * header naming the weir version, Hyperscan version, platform and rules hash.
 */
int weir_engine_save(const weir_engine *e, const char *path, char *err, size_t errlen);

/*
 * Loads an engine saved by weir_engine_save. A file from another weir or Hyperscan version, or
 * for another CPU platform, is refused with a message saying which and what to do.
 */
int weir_engine_load(weir_engine **out, const char *path, char *err, size_t errlen);

size_t weir_engine_nrules(const weir_engine *e);
const weir_rule *weir_engine_rule(const weir_engine *e, uint32_t idx);
/* The fields (WEIR_F_*) rule idx tests, for reporting what matched; *fields is engine-owned. */
size_t weir_engine_rule_fields(const weir_engine *e, uint32_t idx, const int **fields);
/* 16 hex digits identifying the compiled rule set: the "rules version" alerts carry. */
const char *weir_engine_rules_hash(const weir_engine *e);
size_t weir_engine_db_bytes(const weir_engine *e);
/* Hyperscan databases: one per field that rules test, plus one for keywords. */
size_t weir_engine_ndatabases(const weir_engine *e);
double weir_engine_compile_ms(const weir_engine *e);

/*
 * The distinct Hyperscan expressions (with their HS_FLAG_* flags) the engine scans for, field
 * scoping aside: what a single-database, no-parsing matcher of the same rules would compile.
 * For the benchmark's ceiling and baselines; i < weir_engine_nexprs(e). O(atoms) per call.
 */
size_t weir_engine_nexprs(const weir_engine *e);
int weir_engine_expr(const weir_engine *e, size_t i, const char **expr, unsigned *flags);

/* ---- scanning ----------------------------------------------------------------------------- */

/* The outcome of one scan. rules/fields point into scanner memory, valid until its next scan. */
typedef struct weir_hits {
    const uint32_t *rules; /* matching rule indices, ascending */
    size_t n;
    int parse_status;      /* WEIR_PARSE_OK, _HEADER (not an event: nothing scanned), _MALFORMED */
    const weir_event *event; /* the parsed event (fields for the alert) */
} weir_hits;

weir_scanner *weir_scanner_new(const weir_engine *e, size_t max_line, char *err, size_t errlen);
void weir_scanner_destroy(weir_scanner *s);
/* Bytes of Hyperscan scratch the scanner holds (one per thread). */
size_t weir_scanner_scratch_bytes(const weir_scanner *s);
/* Short field values the scanner looked up in its memo of earlier matches instead of scanning
 * them again, and how many were there: what repeated values saved on this input. */
void weir_scanner_memo_counts(const weir_scanner *s, uint64_t *lookups, uint64_t *hits);

/*
 * Parses one line with the stream's parser p and scans it. Each field is matched in both its
 * normalised and its logged form. A malformed line is still scanned: its raw bytes against the
 * keyword rules. Returns 0, or -1 with err on a Hyperscan runtime
 * error (a broken database or scratch, not a bad event).
 */
int weir_scanner_scan(weir_scanner *s, weir_parser *p, const void *data, size_t len,
                      weir_hits *hits, char *err, size_t errlen);

#endif

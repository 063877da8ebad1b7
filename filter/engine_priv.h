/*
 * The compiled engine's insides, shared by engine.c (build, scan) and engine_io.c (save, load).
 * Nothing outside the engine_*.c files includes this.
 */
#ifndef WEIR_ENGINE_PRIV_H
#define WEIR_ENGINE_PRIV_H

#include <hs/hs.h>
#include <stdbool.h>
#include <stdint.h>

#include "weir/engine.h"
#include "weir/logsource.h"

#define FIELD_RAW (-1) /* keyword atoms: the raw event */

typedef enum {
    ATOM_HS,     /* Hyperscan expression on a field / the raw event */
    ATOM_EXISTS, /* field present (want=true) or absent (want=false) */
    ATOM_NULL,   /* field absent or empty */
    ATOM_EMPTY,  /* field present and empty */
    ATOM_CIDR,   /* field is an IP inside a network */
    ATOM_CMP,    /* field is a number comparing as asked */
} atom_kind;

typedef struct {
    atom_kind kind;
    int field;
    char *expr; /* HS */
    unsigned flags;
    bool want;  /* EXISTS */
    int family; /* CIDR */
    unsigned char addr[16];
    unsigned prefix;
    sigma_cmp_op op; /* CMP */
    double num;
    uint32_t *rules; /* rules using this atom (HS only: who to evaluate when it matches) */
    size_t nrules;
} atom_t;

enum { OP_ATOM, OP_AND, OP_OR, OP_NOT, OP_TRUE, OP_FALSE };

typedef struct {
    uint32_t op : 3;
    uint32_t arg : 29; /* atom index, or child count for AND/OR */
} op_t;

typedef struct {
    weir_rule meta;
    weir_fmt_mask formats;
    int *fields; /* distinct fields the rule tests, for the alert's "fields" */
    size_t nfields;
    op_t *prog;
    size_t nprog;
} rule_t;

/* An expression that is a plain literal anchored at the start, the end or both: what a Sigma
 * equals, startswith or endswith value compiles to (engine_lit.c). */
enum { LIT_START = 1, LIT_END = 2 };

typedef struct {
    uint32_t atom;
    uint8_t anchor;   /* LIT_START | LIT_END */
    bool caseless;    /* bytes are then lower case (ASCII, as Hyperscan folds) */
    uint32_t len;
    char *bytes;
} lit_t;

/* The first bytes (up to 16) every match of an expression starts with, compared a word at a
 * time: a value's first 16 bytes v pass when ((v | fold) & keep) == want, per word. fold sets
 * 0x20 on caseless letters: a byte ORed with it equals a lower-case letter only if it is that
 * letter in either case. */
typedef struct {
    uint64_t want[2], fold[2], keep[2];
    uint32_t len;
} gate_t;

typedef struct {
    int field; /* FIELD_RAW for the keyword database */
    hs_database_t *db;
    uint32_t *atom_of; /* expression id → atom index */
    size_t nexprs;
    weir_fmt_mask formats; /* formats of the rules using its atoms: no other event scans it */
    lit_t *lits; /* set: every expression is an anchored literal, compared instead of hs_scan */
    size_t nlits;
    /* set: every expression starts with \A and a literal, whose first bytes are one of these:
     * a value starting with none of them cannot match and is not scanned (engine_lit.c) */
    gate_t *gate;
    size_t ngate;
    /* no expression can match a value with a '+' and miss it with a space there (Sigma text
     * values without a '+'): a value normalised from '+' to ' ' is not scanned as logged too */
    bool plus_blind;
} fielddb_t;

struct weir_engine {
    rule_t *rules;
    size_t nrules;
    atom_t *atoms;
    size_t natoms, capatoms;
    fielddb_t *dbs;
    size_t ndbs;
    /* per format, the databases its events scan, in order: row fmt of WEIR_FMT__COUNT rows of
     * ndbs, fmt_ndbs[fmt] used (row WEIR_FMT_AUTO: a line of no format, every database that any
     * format scans). NULL when it could not be allocated: every database is then tried. */
    uint32_t *fmt_dbs;
    size_t fmt_ndbs[WEIR_FMT__COUNT];
    uint32_t *always; /* rules that can match without any Hyperscan atom */
    size_t nalways;
    size_t max_prog;
    size_t db_bytes;
    double compile_ms;
    char hash[17];
};

void engine_rule_meta_free(weir_rule *m);
void engine_compute_hash(weir_engine *e);
/* Derives the atom → rule postings and the rules evaluated on every event. 0, or -1. */
int engine_finish(weir_engine *e);
/* engine_db.c: builds the Hyperscan databases, one per field and distinct set of atoms the
 * formats' rules test on it. 0, or -1 with err set. */
int engine_compile_dbs(weir_engine *e, char *err, size_t errlen);
/* Everything derived from the databases once they exist, built or loaded: the formats each is
 * scanned for (per format and field, the smallest database holding every atom its rules
 * test), plus_blind, and the literals compared instead of scanned (engine_lit.c). */
void engine_db_derive(weir_engine *e);

/* engine_lit.c: finds the databases made only of a few anchored literals (a method, a status,
 * an exact IP) and fills their lits, and those whose every expression starts with an anchored
 * literal (Sigma startswith, with wildcards after it) and fills their gate; on no memory they
 * simply stay Hyperscan-scanned. Called by engine_db_derive. */
void engine_db_literals(weir_engine *e);
void engine_db_literals_free(fielddb_t *d);
/* Whether the anchored literal matches the value p[0..n). */
bool lit_match(const lit_t *l, const char *p, size_t n);
/* Whether the value p[0..n) starts with one of the gate's prefixes (true without a gate). */
bool lit_gate_pass(const fielddb_t *d, const char *p, size_t n);

/* engine_memo.c: a scanner's memory of the atoms short values matched, per database. */
#define MEMO_VALUE_MAX 96 /* longer values are always scanned */
#define MEMO_ATOMS 4      /* values matching more atoms are not kept */
typedef struct scan_memo scan_memo;
scan_memo *scan_memo_new(size_t ndbs);
void scan_memo_free(scan_memo *m);
/* 1 with the atoms database db matched in p[0..n) when the memo holds them; 0 when it does not,
 * with *hash set for scan_memo_put (0: this value is not to be kept). */
int scan_memo_get(scan_memo *m, uint32_t db, const char *p, size_t n, uint64_t *hash,
                  const uint32_t **atoms, size_t *natoms);
/* Keeps what a scan of p[0..n) found (natoms > MEMO_ATOMS: too many, nothing is kept). */
void scan_memo_put(scan_memo *m, uint32_t db, uint64_t hash, const char *p, size_t n,
                   const uint32_t *atoms, size_t natoms);
void scan_memo_counts(const scan_memo *m, uint64_t *lookups, uint64_t *hits);

#endif

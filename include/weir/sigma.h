/*
 * Sigma rules as an in-memory tree: what the Sigma loader (filter/sigma_load.c) produces, what
 * the Hyperscan compiler consumes, and what the reference evaluator (filter/sigma_eval.c) runs.
 *
 * The tree is already "semantic": modifiers have been applied (contains/startswith/endswith are
 * folded into leading/trailing '*' of a wildcard pattern, escapes are resolved, `1 of sel*` is
 * expanded into an OR of the identifiers it names). A consumer never re-reads Sigma syntax. Every
 * construct the loader cannot honour exactly rejects the whole rule with a located message; it
 * never approximates.
 *
 * Matching semantics the tree encodes (pinned by tests/unit/test_sigma_eval.c):
 *   - GLOB values match the whole field value; '*' is any run of characters, '?' exactly one
 *     (UTF-8) character; ASCII letters compare case-insensitively unless `cased`.
 *   - REGEX values are unanchored PCRE searches, case-sensitive unless `re|i`.
 *   - A field with several values (a multi-valued field) matches when any of its values does.
 *   - Keyword items (no field) search the raw event: a GLOB keyword has '*' at both ends.
 */
#ifndef WEIR_SIGMA_H
#define WEIR_SIGMA_H

#include <stdbool.h>
#include <stddef.h>

/* Modifiers as written after the field name, kept for messages and for the compiler. */
enum {
    SIGMA_MOD_CONTAINS = 1u << 0,
    SIGMA_MOD_STARTSWITH = 1u << 1,
    SIGMA_MOD_ENDSWITH = 1u << 2,
    SIGMA_MOD_ALL = 1u << 3,
    SIGMA_MOD_RE = 1u << 4,
    SIGMA_MOD_CASED = 1u << 5,
    SIGMA_MOD_EXISTS = 1u << 6,
    SIGMA_MOD_CIDR = 1u << 7,
    SIGMA_MOD_CMP = 1u << 8, /* one of gt, gte, lt, lte */
    SIGMA_MOD_NEQ = 1u << 9,
};

/* Regex flags from the `re` sub-modifiers. */
enum {
    SIGMA_RE_I = 1u << 0, /* re|i: case-insensitive */
    SIGMA_RE_M = 1u << 1, /* re|m: ^ and $ match at line breaks */
    SIGMA_RE_S = 1u << 2, /* re|s: '.' matches a newline too */
};

/* The YAML type a value was written as (plain scalars are resolved as YAML does). */
typedef enum sigma_vtype {
    SIGMA_VT_STRING,
    SIGMA_VT_INT,
    SIGMA_VT_FLOAT,
    SIGMA_VT_BOOL,
    SIGMA_VT_NULL,
} sigma_vtype;

typedef enum sigma_match_kind {
    SIGMA_MATCH_GLOB,   /* wildcard pattern over the whole value (numbers and booleans too) */
    SIGMA_MATCH_REGEX,  /* unanchored regex search; pattern in .text */
    SIGMA_MATCH_NULL,   /* field absent, or every value of it empty */
    SIGMA_MATCH_EXISTS, /* field present (exists: true) / absent (exists: false) */
    SIGMA_MATCH_CIDR,   /* field is an IP address inside the network */
    SIGMA_MATCH_CMP,    /* field parses as a number and compares as asked */
} sigma_match_kind;

typedef enum sigma_part_kind {
    SIGMA_PART_LIT,   /* literal bytes (escapes already resolved) */
    SIGMA_PART_STAR,  /* '*': any run of characters, possibly empty */
    SIGMA_PART_QMARK, /* '?': exactly one character */
} sigma_part_kind;

typedef struct sigma_part {
    sigma_part_kind kind;
    char *lit; /* LIT only: NUL-terminated, len bytes */
    size_t len;
} sigma_part;

typedef enum sigma_cmp_op { SIGMA_CMP_LT, SIGMA_CMP_LTE, SIGMA_CMP_GT, SIGMA_CMP_GTE } sigma_cmp_op;

typedef struct sigma_value {
    sigma_match_kind kind;
    sigma_vtype vtype; /* as written */
    char *text;        /* the scalar as written, quotes removed (integers and booleans canonical:
                          "+7" is "7", "True" is "true"); for REGEX the pattern itself */
    unsigned line;
    union {
        struct {
            sigma_part *parts;
            size_t nparts;
            bool cased;
        } glob;
        unsigned re_flags; /* SIGMA_RE_* */
        bool exists;
        struct {
            int family; /* AF_INET or AF_INET6 */
            unsigned char addr[16];
            unsigned prefix;
        } cidr;
        struct {
            sigma_cmp_op op;
            double num;
        } cmp;
    } u;
} sigma_value;

/* One `field|mods: values` entry, or a keyword search when field is NULL. */
typedef struct sigma_item {
    char *field;   /* NULL: keyword search over the raw event */
    unsigned mods; /* SIGMA_MOD_* as written */
    bool all;      /* values AND'ed (|all); otherwise OR'ed */
    bool negated;  /* |neq: the item matches when its values do not */
    sigma_value *values;
    size_t nvalues;
    unsigned line;
} sigma_item;

typedef enum sigma_det_kind {
    SIGMA_DET_ITEM, /* one item */
    SIGMA_DET_AND,  /* a YAML map: every entry */
    SIGMA_DET_OR,   /* a YAML list of maps: any entry */
} sigma_det_kind;

typedef struct sigma_det {
    sigma_det_kind kind;
    unsigned line;
    sigma_item item;        /* ITEM */
    struct sigma_det *kids; /* AND / OR */
    size_t nkids;
} sigma_det;

/* A named search identifier under `detection:`. */
typedef struct sigma_search {
    char *name;
    unsigned line;
    sigma_det det;
} sigma_search;

typedef enum sigma_cond_kind {
    SIGMA_COND_REF, /* a search identifier */
    SIGMA_COND_NOT, /* one kid */
    SIGMA_COND_AND, /* one or more kids */
    SIGMA_COND_OR,  /* one or more kids */
} sigma_cond_kind;

typedef struct sigma_cond {
    sigma_cond_kind kind;
    size_t ref; /* REF: index into the rule's searches */
    struct sigma_cond *kids;
    size_t nkids;
} sigma_cond;

typedef struct sigma_logsource {
    char *category, *product, *service, *definition; /* NULL when absent */
} sigma_logsource;

typedef struct sigma_strlist {
    char **v;
    size_t n;
} sigma_strlist;

/* A loaded rule. Optional strings are NULL when the rule does not set them. */
typedef struct sigma_rule {
    char *file;
    unsigned line; /* first line of the rule's YAML document */
    char *title;
    char *id;
    char *status, *level, *description, *author, *date, *modified;
    sigma_strlist tags, references, falsepositives, fields; /* a lone string is a list of one */
    sigma_logsource logsource;
    sigma_search *searches; /* in YAML order */
    size_t nsearches;
    sigma_cond *cond; /* a list of conditions is one OR node */
    unsigned cond_line;
} sigma_rule;

void sigma_rule_free(sigma_rule *r);

/* ---- Loading -------------------------------------------------------------------------------- */

/* One YAML document seen by the loader: a loaded rule, or the reason it was rejected. */
typedef struct sigma_entry {
    char *file;
    unsigned line;
    char *id;         /* NULL when unknown */
    sigma_rule *rule; /* NULL when rejected */
    char *error;      /* "FILE:LINE: rule ID: reason" when rejected, else NULL */
} sigma_entry;

typedef struct sigma_ruleset {
    sigma_entry *entries; /* in load order */
    size_t nentries, capentries;
    size_t nloaded, nrejected;
} sigma_ruleset;

sigma_ruleset *sigma_ruleset_new(void);
void sigma_ruleset_destroy(sigma_ruleset *set);

/*
 * Loads every YAML document of one file into *set, one entry per rule, loaded or rejected; a
 * rejected rule never stops the others (a YAML syntax error does stop the rest of its file, as
 * the parser cannot resynchronise). Returns the number of rules rejected by this call (err then
 * holds the first message), or -1 when the file cannot be read at all (err says why; nothing is
 * added to *set).
 */
int sigma_load_file(sigma_ruleset *set, const char *path, char *err, size_t errlen);

/* As sigma_load_file, from memory; name is used in messages. */
int sigma_load_buffer(sigma_ruleset *set, const char *name, const char *buf, size_t len, char *err,
                      size_t errlen);

/* A file, or every *.yml / *.yaml below a directory (recursively, in name order). */
int sigma_load_path(sigma_ruleset *set, const char *path, char *err, size_t errlen);

/* ---- Conditions (filter/sigma_cond.c) ------------------------------------------------------- */

/*
 * Parses a condition string against the rule's search identifiers into *out (caller frees with
 * sigma_cond_free). On error returns -1 with the reason and column in err (the loader adds
 * file, line and rule id).
 */
int sigma_cond_parse(const char *text, const sigma_search *searches, size_t nsearches,
                     sigma_cond **out, char *err, size_t errlen);
void sigma_cond_free(sigma_cond *c);

/* Writes the tree fully parenthesised with identifier names, e.g. "(a or (b and not c))".
 * Returns the length it needed (like snprintf). For messages and tests. */
size_t sigma_cond_format(const sigma_cond *c, const sigma_search *searches, char *buf, size_t len);

/* ---- Reference evaluator (filter/sigma_eval.c) ---------------------------------------------- */

/*
 * A correctness oracle, NOT a matcher for the event path: it walks the tree, compiles regexes on
 * every call and allocates. It exists to pin Sigma semantics in tests and to check the Hyperscan
 * compiler's output against.
 */
typedef struct sigma_str {
    const char *p; /* not NUL-terminated */
    size_t len;
} sigma_str;

/* Returns how many values the event has for `field` (0: absent) and points *values at them;
 * they must stay valid until sigma_eval returns. */
typedef size_t (*sigma_lookup_fn)(void *ctx, const char *field, const sigma_str **values);

typedef struct sigma_event {
    sigma_lookup_fn lookup;
    void *ctx;
    const char *raw; /* the whole event, for keyword searches; NULL if not available */
    size_t rawlen;
} sigma_event;

/* Returns 1 when the rule matches the event, 0 when not, -1 on error (a regex that does not
 * compile, a keyword search with no raw event) with err naming the rule and value. */
int sigma_eval(const sigma_rule *r, const sigma_event *ev, char *err, size_t errlen);

#endif

/*
 * A rule set: the rules' metadata (what an alert reports) and the Hyperscan expressions they
 * compile to. The loader that fills it (the interim ".rules" format today, Sigma next) is the
 * only place that knows the source syntax; the engine sees only this.
 */
#ifndef WEIR_RULES_H
#define WEIR_RULES_H

#include <stddef.h>
#include <stdint.h>

typedef struct weir_rule {
    char *id;
    char *title;
    char *level;   /* informational|low|medium|high|critical */
    char **tags;   /* e.g. attack.t1190, cve.2021-26855 */
    size_t ntags;
    char *file;    /* where it was defined, for messages */
    unsigned line;
} weir_rule;

typedef struct weir_expr {
    char *expr;      /* Hyperscan expression (PCRE syntax) */
    unsigned flags;  /* HS_FLAG_* */
    uint32_t rule;   /* index into weir_ruleset.rules */
    char *file;
    unsigned line;
} weir_expr;

typedef struct weir_ruleset {
    weir_rule *rules;
    size_t nrules, caprules;
    weir_expr *exprs;
    size_t nexprs, capexprs;
} weir_ruleset;

weir_ruleset *weir_ruleset_new(void);
void weir_ruleset_destroy(weir_ruleset *rs);

/* Appends a rule (strings are copied); returns its index, or -1 on allocation failure. */
int weir_ruleset_add_rule(weir_ruleset *rs, const char *id, const char *title, const char *level,
                          const char *file, unsigned line);
int weir_ruleset_add_tag(weir_ruleset *rs, uint32_t rule, const char *tag);
int weir_ruleset_add_expr(weir_ruleset *rs, uint32_t rule, const char *expr, unsigned flags,
                          const char *file, unsigned line);

/* Finds a rule by id; -1 if absent. */
int weir_ruleset_find(const weir_ruleset *rs, const char *id);

/*
 * Loads an interim weir rules file (see patterns/README.md): one rule per line,
 *   id | level | title | regex
 * blank lines and '#' comments ignored. Appends to *rs. On error returns -1 and writes
 * "FILE:LINE: reason" into err.
 */
int weir_rules_load_file(weir_ruleset *rs, const char *path, char *err, size_t errlen);

/* Loads a file, or every *.rules file (sorted by name) in a directory. */
int weir_rules_load_path(weir_ruleset *rs, const char *path, char *err, size_t errlen);

#endif

/*
 * Private to the Sigma loader (filter/sigma_load*.c): the state of the YAML document being
 * turned into a rule, how its first error is recorded, and the libyaml node accessors that the
 * rule builder (sigma_load.c), the entry and value builder (sigma_load_value.c) and the file
 * walker (sigma_load_path.c) share. The sl_ ("Sigma loader") prefix keeps these short names
 * apart from the public sigma_* API. Nothing outside those three files includes this.
 */
#ifndef WEIR_SIGMA_PRIV_H
#define WEIR_SIGMA_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "weir/sigma.h"

/* One YAML document being loaded as one rule. Only the first error is kept: later ones are
 * usually consequences of it. */
typedef struct loader {
    const char *file;
    yaml_document_t *doc;
    const char *id; /* for messages; points into doc */
    char msg[1024];
    bool failed;
} loader;

/* Records "FILE:LINE: rule ID: message" unless an error is already recorded; returns -1 so
 * callers can `return sl_fail(...)`. */
int sl_fail(loader *l, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sl_oom(loader *l, unsigned line);

/* ---- YAML node accessors (sigma_load.c) ------------------------------------------------------ */

unsigned sl_line_of(const yaml_node_t *n);
bool sl_is_scalar(const yaml_node_t *n);
const char *sl_sval(const yaml_node_t *n);
size_t sl_seq_len(const yaml_node_t *s);
yaml_node_t *sl_seq_item(const loader *l, const yaml_node_t *s, size_t i);

/* ---- entries and values (sigma_load_value.c) ------------------------------------------------- */

/*
 * Builds one `field|mods: value(s)` entry into *it. keynode NULL means a bare keyword value or
 * list. On failure the message is in l and *it may be half built: sl_item_clear frees it.
 */
int sl_build_item(loader *l, const yaml_node_t *keynode, const yaml_node_t *valnode,
                  sigma_item *it);
void sl_item_clear(sigma_item *it);

/* ---- rule sets (sigma_load.c) ---------------------------------------------------------------- */

/* Appends an entry; takes ownership of rule (freed on allocation failure too). 0 or -1. */
int sl_add_entry(sigma_ruleset *set, const char *file, unsigned line, const char *id,
                 sigma_rule *rule, const char *error);

#endif

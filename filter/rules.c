/*
 * weir_ruleset: growable arrays of rules and their expressions, owned as one unit.
 */
#include "weir/rules.h"

#include <stdlib.h>
#include <string.h>

weir_ruleset *weir_ruleset_new(void)
{
    return calloc(1, sizeof(weir_ruleset));
}

void weir_ruleset_destroy(weir_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->nrules; i++) {
        weir_rule *r = &rs->rules[i];
        free(r->id);
        free(r->title);
        free(r->level);
        free(r->file);
        for (size_t t = 0; t < r->ntags; t++)
            free(r->tags[t]);
        free(r->tags);
    }
    for (size_t i = 0; i < rs->nexprs; i++) {
        free(rs->exprs[i].expr);
        free(rs->exprs[i].file);
    }
    free(rs->rules);
    free(rs->exprs);
    free(rs);
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

int weir_ruleset_add_rule(weir_ruleset *rs, const char *id, const char *title, const char *level,
                          const char *file, unsigned line)
{
    if (grow((void **)&rs->rules, &rs->caprules, rs->nrules, sizeof(weir_rule)) != 0)
        return -1;
    weir_rule *r = &rs->rules[rs->nrules];
    memset(r, 0, sizeof(*r));
    r->id = strdup(id);
    r->title = strdup(title ? title : "");
    r->level = strdup(level ? level : "medium");
    r->file = strdup(file ? file : "");
    r->line = line;
    if (!r->id || !r->title || !r->level || !r->file) {
        free(r->id);
        free(r->title);
        free(r->level);
        free(r->file);
        return -1;
    }
    return (int)rs->nrules++;
}

int weir_ruleset_add_tag(weir_ruleset *rs, uint32_t rule, const char *tag)
{
    weir_rule *r = &rs->rules[rule];
    char **t = realloc(r->tags, (r->ntags + 1) * sizeof(char *));
    if (!t)
        return -1;
    r->tags = t;
    if (!(t[r->ntags] = strdup(tag)))
        return -1;
    r->ntags++;
    return 0;
}

int weir_ruleset_add_expr(weir_ruleset *rs, uint32_t rule, const char *expr, unsigned flags,
                          const char *file, unsigned line)
{
    if (grow((void **)&rs->exprs, &rs->capexprs, rs->nexprs, sizeof(weir_expr)) != 0)
        return -1;
    weir_expr *e = &rs->exprs[rs->nexprs];
    e->expr = strdup(expr);
    e->file = strdup(file ? file : "");
    if (!e->expr || !e->file) {
        free(e->expr);
        free(e->file);
        return -1;
    }
    e->flags = flags;
    e->rule = rule;
    e->line = line;
    rs->nexprs++;
    return 0;
}

int weir_ruleset_find(const weir_ruleset *rs, const char *id)
{
    for (size_t i = 0; i < rs->nrules; i++)
        if (strcmp(rs->rules[i].id, id) == 0)
            return (int)i;
    return -1;
}

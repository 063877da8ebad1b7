/*
 * The interim ".rules" format: the smallest thing that lets the pipeline be real before the
 * Sigma loader lands. One rule per line:
 *
 *   id | level | title | regex
 *
 * The regex is everything after the third '|' (so it may itself contain '|'), trimmed. Matching
 * is case-insensitive, like Sigma's default. Errors name FILE:LINE.
 */
#include "weir/rules.h"

#include <dirent.h>
#include <errno.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *levels[] = {"informational", "low", "medium", "high", "critical"};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int valid_id(const char *id)
{
    if (!*id)
        return 0;
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static int valid_level(const char *lv)
{
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcmp(lv, levels[i]) == 0)
            return 1;
    return 0;
}

/* Splits off the next '|'-separated field; returns NULL when there is no further '|'. */
static char *next_field(char **cur)
{
    char *bar = strchr(*cur, '|');
    if (!bar)
        return NULL;
    *bar = '\0';
    char *f = *cur;
    *cur = bar + 1;
    return trim(f);
}

static int parse_line(weir_ruleset *rs, char *line, const char *path, unsigned lineno, char *err,
                      size_t errlen)
{
    char *cur = line;
    char *id = next_field(&cur);
    char *level = id ? next_field(&cur) : NULL;
    char *title = level ? next_field(&cur) : NULL;
    if (!title) {
        snprintf(err, errlen, "%s:%u: expected 'id | level | title | regex'", path, lineno);
        return -1;
    }
    char *regex = trim(cur);
    if (!valid_id(id)) {
        snprintf(err, errlen, "%s:%u: rule id '%s' must be non-empty [A-Za-z0-9._-]", path, lineno,
                 id);
        return -1;
    }
    if (!valid_level(level)) {
        snprintf(err, errlen,
                 "%s:%u: rule %s: level '%s' is not one of informational, low, medium, high, "
                 "critical",
                 path, lineno, id, level);
        return -1;
    }
    if (!*regex) {
        snprintf(err, errlen, "%s:%u: rule %s: empty regex", path, lineno, id);
        return -1;
    }
    int dup = weir_ruleset_find(rs, id);
    if (dup >= 0) {
        snprintf(err, errlen, "%s:%u: rule %s: duplicate id (first defined at %s:%u)", path, lineno,
                 id, rs->rules[dup].file, rs->rules[dup].line);
        return -1;
    }
    int r = weir_ruleset_add_rule(rs, id, title, level, path, lineno);
    if (r < 0 || weir_ruleset_add_expr(rs, (uint32_t)r, regex,
                                       HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH, path, lineno) != 0) {
        snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
        return -1;
    }
    return 0;
}

int weir_rules_load_file(weir_ruleset *rs, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open rules file: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    while (getline(&line, &cap, fp) != -1) {
        lineno++;
        char *t = trim(line);
        if (!*t || *t == '#')
            continue;
        if ((rc = parse_line(rs, t, path, lineno, err, errlen)) != 0)
            break;
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(fp);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcmp(s + n - m, suf) == 0;
}

int weir_rules_load_path(weir_ruleset *rs, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read rules: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return weir_rules_load_file(rs, path, err, errlen);

    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open rules directory: %s", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!has_suffix(de->d_name, ".rules"))
            continue;
        char **nn = realloc(names, (n + 1) * sizeof(char *));
        if (!nn || !(nn[n] = strdup(de->d_name))) {
            names = nn ? nn : names;
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
            break;
        }
        names = nn;
        n++;
    }
    closedir(d);
    if (rc == 0 && n == 0) {
        snprintf(err, errlen, "%s: no *.rules files in directory", path);
        rc = -1;
    }
    if (rc == 0)
        qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            char full[4096];
            snprintf(full, sizeof(full), "%s/%s", path, names[i]);
            rc = weir_rules_load_file(rs, full, err, errlen);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

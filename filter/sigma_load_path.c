/*
 * Sigma rules from the file system: a file read whole and handed to sigma_load_buffer, a
 * directory walked in name order for *.yml and *.yaml. A file that cannot be read becomes a
 * rejected entry like a rule that cannot be honoured, so one bad file never stops the walk.
 */
#include "weir/sigma.h"
#include "sigma_priv.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Rule files are a few KiB; this only stops a stray multi-GiB file from being slurped. */
#define MAX_FILE_BYTES (64u << 20)

int sigma_load_file(sigma_ruleset *set, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    int rc = -1;
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > MAX_FILE_BYTES) {
                snprintf(err, errlen, "%s: larger than %u MiB, not a rule file", path,
                         MAX_FILE_BYTES >> 20);
                goto out;
            }
            char *nb = realloc(buf, ncap);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    rc = sigma_load_buffer(set, path, buf, len, err, errlen);
out:
    free(buf);
    fclose(fp);
    return rc;
}

static bool has_rule_suffix(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks a directory in name order; unreadable files become rejected entries, not failures. */
static int load_dir(sigma_ruleset *set, const char *dir, unsigned depth, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open directory: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nn = realloc(names, ncap * sizeof(*nn));
            if (!nn)
                goto out;
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto out;
        n++;
    }
    qsort(names, n, sizeof(*names), cmp_names);
    int total = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        size_t dl = strlen(dir);
        const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
        if ((size_t)snprintf(path, sizeof(path), "%s%s%s", dir, sep, names[i]) >= sizeof(path))
            continue;
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        char sub[1024] = "";
        int r = 0;
        if (S_ISDIR(st.st_mode) && depth < 16)
            r = load_dir(set, path, depth + 1, sub, sizeof(sub));
        else if (S_ISREG(st.st_mode) && has_rule_suffix(names[i]))
            r = sigma_load_file(set, path, sub, sizeof(sub));
        if (r < 0) { /* unreadable: reported like a rejected rule, the walk goes on */
            if (sl_add_entry(set, path, 0, NULL, NULL, sub) != 0)
                goto out;
            r = 1;
        }
        if (r > 0 && total == 0)
            snprintf(err, errlen, "%s", sub);
        total += r;
    }
    rc = total;
out:
    if (rc == -1 && errlen && !err[0])
        snprintf(err, errlen, "%s: out of memory", dir);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int sigma_load_path(sigma_ruleset *set, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (errlen)
        err[0] = '\0';
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return load_dir(set, path, 0, err, errlen);
    return sigma_load_file(set, path, err, errlen);
}

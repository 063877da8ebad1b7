/*
 * The real-world corpus: every SigmaHQ web, proxy and Exchange-management rule in
 * ../shared/sigmahq (read in place, never copied). Prints one line per rule, loaded or rejected
 * with its reason, and pins how many load so a regression in the loader shows up as a number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "weir/sigma.h"

/* The snapshot holds 149 rules; every one loads today. Lower this only with a reason. */
#define CORPUS_RULES      149
#define CORPUS_MIN_LOADED 149

static const char *const corpus_dirs[] = {"rules", "rules-emerging-threats",
                                          "rules-threat-hunting"};

static void test_sigmahq_corpus_loads_and_every_rejection_names_its_reason(void **state)
{
    (void)state;
    struct stat st;
    if (stat(SIGMAHQ, &st) != 0) {
        print_message("corpus not found at %s: skipped\n", SIGMAHQ);
        skip();
    }
    sigma_ruleset *set = sigma_ruleset_new();
    assert_non_null(set);
    for (size_t i = 0; i < sizeof(corpus_dirs) / sizeof(corpus_dirs[0]); i++) {
        char path[4096], err[1024] = "";
        snprintf(path, sizeof(path), "%s/%s", SIGMAHQ, corpus_dirs[i]);
        assert_true(sigma_load_path(set, path, err, sizeof(err)) >= 0);
    }
    size_t prefix = strlen(SIGMAHQ) + 1;
    for (size_t i = 0; i < set->nentries; i++) {
        const sigma_entry *e = &set->entries[i];
        if (e->rule) {
            printf("ok       %s  %s\n", e->file + prefix, e->id ? e->id : "(no id)");
            continue;
        }
        printf("REJECTED %s\n", e->error + prefix);
        /* a rejection names file, line and rule, then a reason */
        assert_non_null(strstr(e->error, e->file));
        assert_non_null(strstr(e->error, ": rule "));
        assert_true(strlen(e->error) > strlen(e->file) + 16);
    }
    printf("corpus: %zu of %zu rules loaded, %zu rejected\n", set->nloaded, set->nentries,
           set->nrejected);
    assert_int_equal(set->nentries, CORPUS_RULES);
    assert_true(set->nloaded >= CORPUS_MIN_LOADED);
    sigma_ruleset_destroy(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigmahq_corpus_loads_and_every_rejection_names_its_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * `weir check`: load and compile rules, say per rule whether it made it and why not.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "weir/engine.h"
#include "weir/log.h"
#include "weir/logsource.h"

static void check_usage(FILE *fp)
{
    fprintf(fp,
            "Usage: weir check [--rules PATH]... [PATH]...\n"
            "\n"
            "Loads Sigma rules and compiles them into Hyperscan databases the way weir run\n"
            "would, then prints one line per rule (ok, or REJECTED with the reason), the totals,\n"
            "the compile time and the database size.\n"
            "\n"
            "Options:\n"
            "  -r, --rules PATH   Sigma rule file, or directory searched recursively for\n"
            "                     *.yml/*.yaml (repeatable; positional PATHs work the same;\n"
            "                     default: %s)\n"
            "  -q, --quiet        print only rejected rules and the totals\n"
            "  -h, --help         this help\n"
            "\n"
            "Log sources weir reads (a rule's logsource must name one of them):\n%s"
            "\n"
            "Exit status: 0 every rule compiled, 2 any rule rejected or nothing to compile.\n",
            cli_default_patterns(), weir_logsource_table());
}

int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rules", required_argument, 0, 'r'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    strvec paths = {0};
    int quiet = 0, c, rc = WEIR_EXIT_USAGE;
    char err[1024];
    sigma_ruleset *set = NULL;
    weir_engine *e = NULL;
    weir_build_report rep = {0};

    optind = 1;
    while ((c = getopt_long(argc, argv, "r:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            strvec_push(&paths, optarg);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            check_usage(stdout);
            rc = WEIR_EXIT_OK;
            goto out;
        default:
            fprintf(stderr, "weir check: try 'weir check --help'\n");
            goto out;
        }
    }
    for (int i = optind; i < argc; i++)
        strvec_push(&paths, argv[i]);
    if (paths.n == 0)
        strvec_push(&paths, cli_default_patterns());
    wlog_setup(WLOG_WARN, WLOG_TEXT);

    if (!(set = sigma_ruleset_new()))
        goto out;
    for (size_t i = 0; i < paths.n; i++)
        if (sigma_load_path(set, paths.v[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "weir check: %s\n", err);
            goto out;
        }
    if (set->nentries == 0) {
        fprintf(stderr, "weir check: no Sigma rules (*.yml, *.yaml) found\n");
        goto out;
    }
    int built = weir_engine_build(&e, set, &rep, err, sizeof(err)) == 0;
    /* one line per rule, in load order: compiled ones from the engine, the others from rep */
    size_t next_ok = 0, next_rej = 0;
    for (size_t i = 0; i < set->nentries; i++) {
        const sigma_entry *en = &set->entries[i];
        if (next_rej < rep.nrejected && strcmp(rep.rejected[next_rej].file, en->file) == 0 &&
            ((en->rule && rep.rejected[next_rej].id && en->rule->id &&
              strcmp(rep.rejected[next_rej].id, en->rule->id) == 0) ||
             !en->rule)) {
            printf("REJECTED %s\n", rep.rejected[next_rej].message);
            next_rej++;
        } else if (built && next_ok < weir_engine_nrules(e)) {
            const weir_rule *r = weir_engine_rule(e, (uint32_t)next_ok++);
            if (!quiet)
                printf("ok       %s:%u: rule %s: %s\n", r->file, r->line, r->id, r->title);
        }
    }
    for (; next_rej < rep.nrejected; next_rej++) /* defensive: never hide a rejection */
        printf("REJECTED %s\n", rep.rejected[next_rej].message);
    printf("weir check: %zu rules, %zu compiled, %zu rejected", rep.nrules, rep.ncompiled,
           rep.nrejected);
    if (built)
        printf("; %zu Hyperscan expressions in %zu databases, %zu bytes, compiled in %.1f ms\n",
               rep.natoms, rep.ndatabases, weir_engine_db_bytes(e), weir_engine_compile_ms(e));
    else
        printf("; %s\n", err);
    rc = built && rep.nrejected == 0 ? WEIR_EXIT_OK : WEIR_EXIT_USAGE;
out:
    weir_build_report_free(&rep);
    weir_engine_destroy(e);
    sigma_ruleset_destroy(set);
    strvec_free(&paths);
    return rc;
}

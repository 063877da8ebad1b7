/*
 * `weir compile`: Sigma rules → a compiled rules file that `weir run --db` and `weir scan --db`
 * load in milliseconds instead of compiling at every start.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "weir/engine.h"
#include "weir/log.h"

static void compile_usage(FILE *fp)
{
    fprintf(fp,
            "Usage: weir compile --output FILE [--rules PATH]... [PATH]...\n"
            "\n"
            "Compiles Sigma rules into Hyperscan databases and writes them, with the rule\n"
            "programs, to FILE. The file records the weir version, the Hyperscan version, the\n"
            "CPU platform and the rules hash; weir refuses to load it anywhere they differ.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE  where to write the compiled rules (required)\n"
            "  -r, --rules PATH   Sigma rule file or directory (repeatable; positional PATHs work\n"
            "                     the same; default: %s)\n"
            "  -h, --help         this help\n"
            "\n"
            "Exit status: 0 written, 2 a rule was rejected (nothing written) or a write error.\n",
            cli_default_patterns());
}

int cmd_compile(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"rules", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    strvec paths = {0};
    const char *outp = NULL;
    int c, rc = WEIR_EXIT_USAGE;
    char err[1024];
    weir_engine *e = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:r:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            outp = optarg;
            break;
        case 'r':
            strvec_push(&paths, optarg);
            break;
        case 'h':
            compile_usage(stdout);
            rc = WEIR_EXIT_OK;
            goto out;
        default:
            fprintf(stderr, "weir compile: try 'weir compile --help'\n");
            goto out;
        }
    }
    for (int i = optind; i < argc; i++)
        strvec_push(&paths, argv[i]);
    if (!outp) {
        fprintf(stderr, "weir compile: --output is required (try 'weir compile --help')\n");
        goto out;
    }
    if (paths.n == 0)
        strvec_push(&paths, cli_default_patterns());
    wlog_setup(WLOG_WARN, WLOG_TEXT);
    if (!(e = cli_load_engine(paths.v, paths.n, "weir compile", 1, err, sizeof(err)))) {
        fprintf(stderr, "weir compile: %s\n", err);
        goto out;
    }
    if (weir_engine_save(e, outp, err, sizeof(err)) != 0) {
        fprintf(stderr, "weir compile: %s\n", err);
        goto out;
    }
    printf("weir compile: %zu rules, %zu bytes of Hyperscan databases, rules version %s -> %s\n",
           weir_engine_nrules(e), weir_engine_db_bytes(e), weir_engine_rules_hash(e), outp);
    rc = WEIR_EXIT_OK;
out:
    weir_engine_destroy(e);
    strvec_free(&paths);
    return rc;
}

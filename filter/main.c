/*
 * weir: the command-line entry point. Only dispatch lives here; each subcommand owns its file.
 */
#include <stdio.h>
#ifdef WEIR_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
#include <string.h>

#include <hs/hs.h>
#include <librdkafka/rdkafka.h>

#include "cli.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "weir %s: filter web and mail logs flowing through Kafka with Hyperscan, publish the "
            "attacks.\n"
            "\n"
            "Usage: weir COMMAND [OPTIONS]\n"
            "\n"
            "Commands:\n"
            "  run       consume events from Kafka, scan them, produce msgpack alerts\n"
            "  demo      run the whole pipeline on an embedded broker with sample Exchange "
            "traffic\n"
            "  alerts    print the alerts on an alerts topic as JSON lines\n"
            "  scan      scan log files offline (retro-hunt); exit 1 when something matched\n"
            "  check     load and compile rules; one line per rule, ok or why rejected\n"
            "  compile   compile rules into a file that run and scan load with --db\n"
            "\n"
            "Options:\n"
            "  -h, --help     this help; 'weir COMMAND --help' describes a command\n"
            "  -V, --version  versions of weir, librdkafka and Hyperscan\n"
            "\n"
            "Exit status: 0 success, 1 runtime failure, 2 usage, configuration or connection "
            "error.\n",
            WEIR_VERSION);
}

/* The allocator weir runs on. Asking jemalloc for its version also keeps it linked: with
 * link-time optimisation and --as-needed the linker once dropped libjemalloc from the
 * executable without a word, as nothing referred to a symbol only it defines. */
static const char *allocator(void)
{
#ifdef WEIR_HAVE_JEMALLOC
    static char buf[96];
    const char *v = NULL;
    size_t sz = sizeof(v);
    if (mallctl("version", (void *)&v, &sz, NULL, 0) == 0 && v) {
        snprintf(buf, sizeof(buf), "jemalloc %.*s", (int)strcspn(v, "-"), v);
        return buf;
    }
    return "jemalloc";
#else
    return "libc malloc";
#endif
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return WEIR_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return WEIR_EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("weir %s (librdkafka %s, hyperscan %s, %s)\n", WEIR_VERSION,
               rd_kafka_version_str(), hs_version(), allocator());
        return WEIR_EXIT_OK;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo"))
        return cmd_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "alerts"))
        return cmd_alerts(argc - 1, argv + 1);
    if (!strcmp(cmd, "scan"))
        return cmd_scan(argc - 1, argv + 1);
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "compile"))
        return cmd_compile(argc - 1, argv + 1);
    fprintf(stderr, "weir: unknown command '%s' (try 'weir --help')\n", cmd);
    return WEIR_EXIT_USAGE;
}

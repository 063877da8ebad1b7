/*
 * `weir alerts`: print what weir wrote to an alerts topic.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "weir/log.h"
#include "weir/reader.h"

static void alerts_usage(FILE *fp)
{
    fprintf(fp,
            "Usage: weir alerts --brokers HOST:PORT[,…] [OPTIONS]\n"
            "\n"
            "Reads an alerts topic (without joining a consumer group, committing nothing) and\n"
            "prints each msgpack alert as one JSON object per line.\n"
            "\n"
            "Options:\n"
            "  -b, --brokers LIST      bootstrap servers (required)\n"
            "  -t, --topic TOPIC       alerts topic (default: weir-alerts)\n"
            "  -B, --from-beginning    start at the oldest alert (default: only new alerts)\n"
            "  -n, --count N           exit after N alerts\n"
            "  -e, --exit-eof          exit at the end of every partition\n"
            "      --timeout S         exit with status 1 after S seconds without an alert\n"
            "      --read-committed    only alerts of committed transactions (with -e: up to\n"
            "                          the last stable offset; a transaction committed a moment\n"
            "                          ago may not be visible yet)\n"
            "  -f, --format F          json (default) or compact (one readable line per alert)\n"
            "  -X KEY=VALUE            librdkafka consumer property (repeatable)\n"
            "  -h, --help              this help\n"
            "\n"
            "Exit status: 0 done, 1 --timeout reached, 2 usage or connection error.\n");
}

enum { OPT_TIMEOUT = 256, OPT_READ_COMMITTED };

int cmd_alerts(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, 0, 'b'},
        {"topic", required_argument, 0, 't'},
        {"from-beginning", no_argument, 0, 'B'},
        {"count", required_argument, 0, 'n'},
        {"exit-eof", no_argument, 0, 'e'},
        {"timeout", required_argument, 0, OPT_TIMEOUT},
        {"read-committed", no_argument, 0, OPT_READ_COMMITTED},
        {"format", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    weir_reader_opts o;
    weir_reader_opts_init(&o);
    strvec props = {0};
    char err[1024], *end;
    int rc = WEIR_EXIT_USAGE, c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "b:t:Bn:ef:X:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o.brokers = optarg;
            break;
        case 't':
            o.topic = optarg;
            break;
        case 'B':
            o.from_beginning = 1;
            break;
        case 'n':
            o.count = strtoull(optarg, &end, 10);
            if (!*optarg || *end || o.count == 0) {
                fprintf(stderr, "weir alerts: --count '%s': expected a positive number\n",
                        optarg);
                goto out;
            }
            break;
        case 'e':
            o.exit_eof = 1;
            break;
        case OPT_TIMEOUT: {
            long s = strtol(optarg, &end, 10);
            if (!*optarg || *end || s < 1 || s > 86400) {
                fprintf(stderr, "weir alerts: --timeout '%s': expected 1 to 86400 seconds\n",
                        optarg);
                goto out;
            }
            o.timeout_ms = (int)s * 1000;
            break;
        }
        case OPT_READ_COMMITTED:
            o.read_committed = 1;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                o.format = WEIR_READER_JSON;
            else if (strcmp(optarg, "compact") == 0)
                o.format = WEIR_READER_COMPACT;
            else {
                fprintf(stderr, "weir alerts: --format '%s': expected json or compact\n", optarg);
                goto out;
            }
            break;
        case 'X':
            if (!strchr(optarg, '=')) {
                fprintf(stderr, "weir alerts: -X %s: expected key=value\n", optarg);
                goto out;
            }
            strvec_push(&props, optarg);
            break;
        case 'h':
            alerts_usage(stdout);
            rc = WEIR_EXIT_OK;
            goto out;
        default:
            fprintf(stderr, "weir alerts: try 'weir alerts --help'\n");
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "weir alerts: unexpected argument '%s'\n", argv[optind]);
        goto out;
    }
    if (!o.brokers) {
        fprintf(stderr, "weir alerts: --brokers is required (try 'weir alerts --help')\n");
        goto out;
    }
    wlog_setup(WLOG_WARN, WLOG_TEXT);
    o.props = props.v;
    o.nprops = props.n;
    o.stop = &cli_stop;
    cli_install_signals();
    weir_reader_stats st;
    int r = weir_reader_run(&o, &st, err, sizeof(err));
    if (r == 2 || r == 3) {
        fprintf(stderr, "weir alerts: %s\n", err);
        rc = r == 2 ? WEIR_EXIT_USAGE : WEIR_EXIT_FAIL;
    } else {
        rc = r == 1 ? WEIR_EXIT_FAIL : WEIR_EXIT_OK;
        if (st.undecodable)
            fprintf(stderr, "weir alerts: %llu message(s) were not msgpack alerts\n",
                    (unsigned long long)st.undecodable);
    }
out:
    strvec_free(&props);
    return rc;
}

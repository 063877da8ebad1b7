/*
 * `weir run`: the long-running filter.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "weir/log.h"
#include "weir/mock.h"
#include "weir/pipeline.h"

static void run_usage(FILE *fp)
{
    fprintf(fp,
            "Usage: weir run --brokers HOST:PORT[,…] --topic TOPIC [OPTIONS]\n"
            "\n"
            "Joins a consumer group on the input topic(s), scans every event against the rules\n"
            "with one worker thread per CPU, and produces one msgpack alert per matching event\n"
            "to the alerts topic. Offsets are committed only after the broker has acknowledged\n"
            "the alerts of every event up to them (at-least-once, the default); with\n"
            "--delivery exactly-once, alerts and offsets are committed in one transaction.\n"
            "\n"
            "Options:\n"
            "  -b, --brokers LIST      bootstrap servers; 'embedded' starts an in-process mock\n"
            "                          cluster and logs its address\n"
            "  -t, --topic TOPIC       input topic (repeatable)\n"
            "  -r, --rules PATH        Sigma rule file, or directory searched recursively for\n"
            "                          *.yml/*.yaml (repeatable; default: %s)\n"
            "      --db FILE           compiled rules from 'weir compile' instead of --rules\n"
            "  -f, --format F          log format of the input: auto (default), iis, httpproxy,\n"
            "                          ecp, oab, rpshttp, smtpreceive, msgtrack, syslog,\n"
            "                          combined, json\n"
            "      --max-event BYTES   bytes of an event that are parsed (default: 65536); the\n"
            "                          whole event is still scanned by keyword rules\n"
            "  -g, --group ID          consumer group id (default: weir)\n"
            "  -a, --alerts-topic T    topic to produce alerts to (default: weir-alerts)\n"
            "  -X KEY=VALUE            librdkafka property for both clients; prefix KEY with\n"
            "                          'consumer.' or 'producer.' for one (repeatable)\n"
            "  -w, --workers N         scanning threads (default: 0, one per online CPU); each\n"
            "                          partition is scanned by one of them, in order\n"
            "  -d, --delivery MODE     at-least-once (default: offsets committed after the\n"
            "                          alerts are acknowledged) or exactly-once (one Kafka\n"
            "                          transaction per batch; read alerts with read_committed)\n"
            "  -e, --exit-eof          exit once every assigned partition is drained\n"
            "      --batch N           commit at most every N events (default: 10000)\n"
            "      --batch-ms MS       ... or every MS milliseconds (default: 200)\n"
            "      --connect-timeout S fail if the brokers do not answer within S seconds\n"
            "                          (default: 10)\n"
            "      --log-level L       debug, info, warn or error (default: info)\n"
            "      --log-format F      json (default: one object per line) or text\n"
            "  -h, --help              this help\n"
            "\n"
            "SIGINT/SIGTERM finish the current batch, commit and leave the group; a second\n"
            "signal exits at once. Exit status: 0 stopped cleanly, 1 runtime failure (e.g. an\n"
            "alert the broker refused), 2 bad usage, rules, configuration or unreachable brokers.\n",
            cli_default_patterns());
}

enum {
    OPT_BATCH = 256,
    OPT_BATCH_MS,
    OPT_CONNECT_TIMEOUT,
    OPT_LOG_LEVEL,
    OPT_LOG_FORMAT,
    OPT_MAX_EVENT,
    OPT_DB,
};

static int parse_num(const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max) {
        fprintf(stderr, "weir run: %s '%s': expected a whole number from %ld to %ld\n", opt, s,
                min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, 0, 'b'},
        {"topic", required_argument, 0, 't'},
        {"rules", required_argument, 0, 'r'},
        {"format", required_argument, 0, 'f'},
        {"db", required_argument, 0, OPT_DB},
        {"max-event", required_argument, 0, OPT_MAX_EVENT},
        {"group", required_argument, 0, 'g'},
        {"alerts-topic", required_argument, 0, 'a'},
        {"exit-eof", no_argument, 0, 'e'},
        {"delivery", required_argument, 0, 'd'},
        {"workers", required_argument, 0, 'w'},
        {"batch", required_argument, 0, OPT_BATCH},
        {"batch-ms", required_argument, 0, OPT_BATCH_MS},
        {"connect-timeout", required_argument, 0, OPT_CONNECT_TIMEOUT},
        {"log-level", required_argument, 0, OPT_LOG_LEVEL},
        {"log-format", required_argument, 0, OPT_LOG_FORMAT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    weir_pipeline_opts o;
    weir_pipeline_opts_init(&o);
    strvec topics = {0}, rules = {0}, cprops = {0}, pprops = {0};
    wlog_level lvl = WLOG_INFO;
    wlog_format fmt = WLOG_JSON;
    char err[1024];
    int rc = WEIR_EXIT_USAGE, c;
    long v;
    weir_engine *eng = NULL;
    weir_mock *mock = NULL;
    const char *db = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "b:t:r:f:g:a:X:ew:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o.brokers = optarg;
            break;
        case 't':
            strvec_push(&topics, optarg);
            break;
        case 'r':
            strvec_push(&rules, optarg);
            break;
        case 'f':
            if (weir_format_parse(optarg, &o.format) != 0) {
                fprintf(stderr, "weir run: --format '%s': expected auto, iis, httpproxy, ecp, oab, "
                                "rpshttp, smtpreceive, msgtrack, syslog, combined or json\n",
                        optarg);
                goto out;
            }
            break;
        case OPT_DB:
            db = optarg;
            break;
        case OPT_MAX_EVENT:
            if (parse_num("--max-event", optarg, 256, 256L * 1024 * 1024, &v) != 0)
                goto out;
            o.max_event = (size_t)v;
            break;
        case 'g':
            o.group = optarg;
            break;
        case 'a':
            o.alerts_topic = optarg;
            break;
        case 'X':
            if (cli_split_kafka_prop(optarg, &cprops, &pprops, err, sizeof(err)) != 0) {
                fprintf(stderr, "weir run: %s\n", err);
                goto out;
            }
            break;
        case 'e':
            o.exit_eof = 1;
            break;
        case 'd':
            if (strcmp(optarg, "at-least-once") && strcmp(optarg, "exactly-once")) {
                fprintf(stderr, "weir run: --delivery '%s': expected at-least-once or "
                                "exactly-once\n", optarg);
                goto out;
            }
            o.exactly_once = strcmp(optarg, "exactly-once") == 0;
            break;
        case 'w':
            if (parse_num("--workers", optarg, 0, 256, &v) != 0)
                goto out;
            o.workers = (size_t)v;
            break;
        case OPT_BATCH:
            if (parse_num("--batch", optarg, 1, 10000000, &v) != 0)
                goto out;
            o.batch_max = (size_t)v;
            break;
        case OPT_BATCH_MS:
            if (parse_num("--batch-ms", optarg, 1, 600000, &v) != 0)
                goto out;
            o.batch_ms = (int)v;
            break;
        case OPT_CONNECT_TIMEOUT:
            if (parse_num("--connect-timeout", optarg, 1, 300, &v) != 0)
                goto out;
            o.connect_timeout_ms = (int)v * 1000;
            break;
        case OPT_LOG_LEVEL:
            if (wlog_level_parse(optarg, &lvl) != 0) {
                fprintf(stderr, "weir run: --log-level '%s': expected debug, info, warn or "
                                "error\n", optarg);
                goto out;
            }
            break;
        case OPT_LOG_FORMAT:
            if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                fprintf(stderr, "weir run: --log-format '%s': expected json or text\n", optarg);
                goto out;
            }
            fmt = strcmp(optarg, "json") == 0 ? WLOG_JSON : WLOG_TEXT;
            break;
        case 'h':
            run_usage(stdout);
            rc = WEIR_EXIT_OK;
            goto out;
        default:
            fprintf(stderr, "weir run: try 'weir run --help'\n");
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "weir run: unexpected argument '%s' (try 'weir run --help')\n",
                argv[optind]);
        goto out;
    }
    if (!o.brokers || topics.n == 0) {
        fprintf(stderr, "weir run: --brokers and --topic are required (try 'weir run --help')\n");
        goto out;
    }
    wlog_setup(lvl, fmt);
    if (!(eng = cli_engine(db, rules.v, rules.n, "weir run", err, sizeof(err)))) {
        fprintf(stderr, "weir run: %s\n", err);
        goto out;
    }
    char nr[32], dbb[32];
    snprintf(nr, sizeof(nr), "%zu", weir_engine_nrules(eng));
    snprintf(dbb, sizeof(dbb), "%zu", weir_engine_db_bytes(eng));
    wlog(WLOG_INFO, "rules compiled", "rules", nr, "db_bytes", dbb, "rules_version",
         weir_engine_rules_hash(eng), NULL);

    if (strcmp(o.brokers, "embedded") == 0) {
        if (!(mock = weir_mock_start(1, err, sizeof(err)))) {
            fprintf(stderr, "weir run: %s\n", err);
            goto out;
        }
        o.brokers = weir_mock_bootstraps(mock);
        wlog(WLOG_INFO, "embedded mock cluster started", "brokers", o.brokers, NULL);
    }

    o.topics = topics.v;
    o.ntopics = topics.n;
    o.consumer_props = cprops.v;
    o.nconsumer_props = cprops.n;
    o.producer_props = pprops.v;
    o.nproducer_props = pprops.n;
    o.stop = &cli_stop;
    cli_install_signals();

    weir_pipeline_stats st;
    weir_pipe_status ps = weir_pipeline_run(&o, eng, &st, err, sizeof(err));
    char ev[32], al[32], ack[32], rate[32], el[32];
    snprintf(ev, sizeof(ev), "%" PRIu64, st.consumed);
    snprintf(al, sizeof(al), "%" PRIu64, st.matched);
    snprintf(ack, sizeof(ack), "%" PRIu64, st.alerts_acked);
    snprintf(rate, sizeof(rate), "%.0f", st.elapsed_s > 0 ? (double)st.consumed / st.elapsed_s : 0);
    snprintf(el, sizeof(el), "%.3f", st.elapsed_s);
    char mal[32], ovs[32];
    snprintf(mal, sizeof(mal), "%" PRIu64, st.malformed);
    snprintf(ovs, sizeof(ovs), "%" PRIu64, st.oversized);
    if (ps == WEIR_PIPE_OK) {
        wlog(WLOG_INFO, "stopped", "events", ev, "alerts", al, "alerts_acked", ack, "malformed",
             mal, "oversized", ovs, "events_per_s", rate, "elapsed_s", el, NULL);
        rc = WEIR_EXIT_OK;
    } else {
        /* startup errors are for the person at the terminal; runtime ones go to the log */
        if (ps == WEIR_PIPE_STARTUP)
            fprintf(stderr, "weir run: %s\n", err);
        else
            wlog(WLOG_ERROR, err, "events", ev, "alerts", al, "alerts_acked", ack, NULL);
        rc = ps == WEIR_PIPE_STARTUP ? WEIR_EXIT_USAGE : WEIR_EXIT_FAIL;
    }

out:
    weir_engine_destroy(eng);
    weir_mock_stop(mock);
    strvec_free(&topics);
    strvec_free(&rules);
    strvec_free(&cprops);
    strvec_free(&pprops);
    return rc;
}

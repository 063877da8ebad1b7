/*
 * `weir demo`: the whole pipeline on an embedded broker, no set-up needed. It produces sample
 * Exchange traffic with attacks inside, runs the same pipeline as `weir run`, then reads the
 * alerts back from the alerts topic (so what is printed is what went through Kafka).
 */
#include <getopt.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "weir/demo_data.h"
#include "weir/kconf.h"
#include "weir/log.h"
#include "weir/mock.h"
#include "weir/pipeline.h"
#include "weir/reader.h"

#define DEMO_EVENTS_TOPIC "weir-demo-events"
#define DEMO_ALERTS_TOPIC "weir-demo-alerts"

static void demo_usage(FILE *fp)
{
    fprintf(fp,
            "Usage: weir demo [OPTIONS]\n"
            "\n"
            "Starts librdkafka's mock cluster in-process, produces sample Exchange IIS traffic\n"
            "with ProxyLogon, web shell and ProxyShell lines inside, runs the weir pipeline on\n"
            "it, prints every alert read back from the alerts topic, then a summary.\n"
            "\n"
            "Options:\n"
            "  -n, --events N       events to produce (default: 20000)\n"
            "  -p, --partitions N   partitions of the events topic (default: 3)\n"
            "  -r, --rules PATH     Sigma rule file or directory (repeatable; default: %s)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 when every alert weir produced was read back, 1 otherwise, 2 on a\n"
            "usage or rules error.\n",
            cli_default_patterns());
}

static int produce_demo(const char *brokers, size_t n, size_t *attacks, char *err, size_t errlen)
{
    char rerr[512], line[2048];
    rd_kafka_conf_t *c = weir_kconf_new(brokers, err, errlen);
    if (!c)
        return -1;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, rerr, sizeof(rerr));
    if (!rk) {
        snprintf(err, errlen, "cannot create demo producer: %s", rerr);
        rd_kafka_conf_destroy(c);
        return -1;
    }
    *attacks = 0;
    for (size_t i = 0; i < n; i++) {
        int attack;
        size_t len = weir_demo_event(i, n, line, sizeof(line), &attack);
        *attacks += (size_t)attack;
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(DEMO_EVENTS_TOPIC),
                                 RD_KAFKA_V_VALUE(line, len),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 50);
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_resp_err_t e = rd_kafka_flush(rk, 30000);
    rd_kafka_destroy(rk);
    if (e) {
        snprintf(err, errlen, "demo producer: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"events", required_argument, 0, 'n'},
        {"partitions", required_argument, 0, 'p'},
        {"rules", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    long nevents = 20000, nparts = 3;
    strvec rules = {0};
    char err[1024], *end;
    int rc = WEIR_EXIT_USAGE, c;
    weir_engine *eng = NULL;
    weir_mock *mock = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "n:p:r:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            nevents = strtol(optarg, &end, 10);
            if (!*optarg || *end || nevents < 1 || nevents > 100000000) {
                fprintf(stderr, "weir demo: --events '%s': expected 1 to 100000000\n", optarg);
                goto out;
            }
            break;
        case 'p':
            nparts = strtol(optarg, &end, 10);
            if (!*optarg || *end || nparts < 1 || nparts > 256) {
                fprintf(stderr, "weir demo: --partitions '%s': expected 1 to 256\n", optarg);
                goto out;
            }
            break;
        case 'r':
            strvec_push(&rules, optarg);
            break;
        case 'h':
            demo_usage(stdout);
            rc = WEIR_EXIT_OK;
            goto out;
        default:
            fprintf(stderr, "weir demo: try 'weir demo --help'\n");
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "weir demo: unexpected argument '%s'\n", argv[optind]);
        goto out;
    }
    /* the demo talks to a person: plain text, and only warnings from the machinery */
    wlog_setup(WLOG_WARN, WLOG_TEXT);
    if (rules.n == 0)
        strvec_push(&rules, cli_default_patterns());
    if (!(eng = cli_load_engine(rules.v, rules.n, "weir demo", 1, err, sizeof(err)))) {
        fprintf(stderr, "weir demo: %s\n", err);
        goto out;
    }
    rc = WEIR_EXIT_FAIL;
    if (!(mock = weir_mock_start(1, err, sizeof(err))) ||
        weir_mock_create_topic(mock, DEMO_EVENTS_TOPIC, (int)nparts, err, sizeof(err)) ||
        weir_mock_create_topic(mock, DEMO_ALERTS_TOPIC, 1, err, sizeof(err))) {
        fprintf(stderr, "weir demo: %s\n", err);
        goto out;
    }
    const char *brokers = weir_mock_bootstraps(mock);
    printf("weir demo: embedded Kafka (librdkafka mock cluster) on %s\n", brokers);
    printf("weir demo: %zu Sigma rules compiled into %zu Hyperscan databases (%zu bytes, %.1f ms)\n",
           weir_engine_nrules(eng), weir_engine_ndatabases(eng), weir_engine_db_bytes(eng),
           weir_engine_compile_ms(eng));

    size_t planted;
    if (produce_demo(brokers, (size_t)nevents, &planted, err, sizeof(err)) != 0) {
        fprintf(stderr, "weir demo: %s\n", err);
        goto out;
    }
    printf("weir demo: produced %ld Exchange IIS events to '%s' (%ld partitions), %zu of them "
           "attacks\n\n",
           nevents, DEMO_EVENTS_TOPIC, nparts, planted);

    weir_pipeline_opts o;
    weir_pipeline_opts_init(&o);
    const char *topics[] = {DEMO_EVENTS_TOPIC};
    o.brokers = brokers;
    o.group = "weir-demo";
    o.topics = topics;
    o.ntopics = 1;
    o.alerts_topic = DEMO_ALERTS_TOPIC;
    o.exit_eof = 1;
    o.stop = &cli_stop;
    cli_install_signals();
    weir_pipeline_stats st;
    if (weir_pipeline_run(&o, eng, &st, err, sizeof(err)) != WEIR_PIPE_OK) {
        fprintf(stderr, "weir demo: %s\n", err);
        goto out;
    }

    weir_reader_opts ro;
    weir_reader_opts_init(&ro);
    ro.brokers = brokers;
    ro.topic = DEMO_ALERTS_TOPIC;
    ro.from_beginning = 1;
    ro.exit_eof = 1;
    ro.format = WEIR_READER_COMPACT;
    ro.stop = &cli_stop;
    weir_reader_stats rst;
    if (weir_reader_run(&ro, &rst, err, sizeof(err)) != 0) {
        fprintf(stderr, "weir demo: reading alerts back: %s\n", err);
        goto out;
    }
    printf("\nweir demo: %" PRIu64 " events scanned, %" PRIu64 " alerts produced, %" PRIu64
           " acknowledged, %" PRIu64 " read back from '%s'\n",
           st.consumed, st.matched, st.alerts_acked, rst.alerts, DEMO_ALERTS_TOPIC);
    printf("weir demo: %.0f events/s end to end through the embedded broker (%.2f s)\n",
           st.elapsed_s > 0 ? (double)st.consumed / st.elapsed_s : 0.0, st.elapsed_s);
    if (st.consumed != (uint64_t)nevents || rst.alerts != st.matched ||
        st.alerts_acked != st.matched) {
        fprintf(stderr, "weir demo: counts do not add up (events %" PRIu64 "/%ld, alerts read "
                        "%" PRIu64 "/%" PRIu64 ")\n",
                st.consumed, nevents, rst.alerts, st.matched);
        goto out;
    }
    rc = WEIR_EXIT_OK;
out:
    weir_engine_destroy(eng);
    weir_mock_stop(mock);
    strvec_free(&rules);
    return rc;
}

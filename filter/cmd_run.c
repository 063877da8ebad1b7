/*
 * `weir run`: the long-running filter.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "watchdog.h"
#include "weir/config.h"
#include "weir/log.h"
#include "weir/metrics.h"
#include "weir/mock.h"
#include "weir/pipeline.h"
#include "weir/reload.h"

static void run_usage(FILE *fp)
{
    fprintf(fp,
            "Usage: weir run [-c weir.yaml] [--brokers HOST:PORT[,…]] [--topic TOPIC] [OPTIONS]\n"
            "\n"
            "Joins a consumer group on the input topic(s), scans every event against the rules\n"
            "with one worker thread per CPU, and produces one msgpack alert per matching event\n"
            "to the alerts topic. Offsets are committed only after the broker has acknowledged\n"
            "the alerts of every event up to them (at-least-once, the default); with\n"
            "--delivery exactly-once, alerts and offsets are committed in one transaction.\n"
            "Settings come from defaults < the config file < WEIR_* variables < these flags.\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE       YAML configuration (keys below)\n"
            "  -b, --brokers LIST      bootstrap servers; 'embedded' starts an in-process mock\n"
            "                          cluster and logs its address\n"
            "  -t, --topic TOPIC       input topic (repeatable; replaces the file's inputs)\n"
            "  -f, --format F          log format of the --topic inputs: auto (default), iis,\n"
            "                          httpproxy, ecp, oab, rpshttp, smtpreceive, msgtrack,\n"
            "                          syslog, combined, json\n"
            "  -r, --rules PATH        Sigma rule file, or directory searched recursively for\n"
            "                          *.yml/*.yaml (repeatable; default: %s)\n"
            "      --db FILE           compiled rules from 'weir compile' instead of --rules\n"
            "      --max-event SIZE    bytes of an event that are parsed (default: 64k); the\n"
            "                          prefix is scanned and the alert flagged weir.truncated\n"
            "      --oversize POLICY   truncate (default) or dead-letter: longer events also go,\n"
            "                          whole, to the dead-letter topic\n"
            "      --dead-letter-topic T  topic for oversized and malformed events, with a\n"
            "                          weir.reason header (default: none)\n"
            "  -g, --group ID          consumer group id (default: weir)\n"
            "  -a, --alerts-topic T    topic to produce alerts to (default: weir-alerts)\n"
            "  -X KEY=VALUE            librdkafka property for both clients; prefix KEY with\n"
            "                          'consumer.' or 'producer.' for one (repeatable)\n"
            "  -w, --workers N         scanning threads (default: 0, one per CPU weir may use:\n"
            "                          affinity, and the cgroup CPU limit in a container);\n"
            "                          each partition is scanned by one of them, in order\n"
            "  -d, --delivery MODE     at-least-once (default: offsets committed after the\n"
            "                          alerts are acknowledged) or exactly-once (one Kafka\n"
            "                          transaction per batch; read alerts with read_committed)\n"
            "  -e, --exit-eof          exit once every assigned partition is drained\n"
            "      --batch N           commit at most every N events (default: 100000)\n"
            "      --batch-ms MS       ... or every MS milliseconds (default: 200)\n"
            "      --connect-timeout S fail if the brokers do not answer within S seconds\n"
            "                          (default: 10)\n"
            "      --shutdown-timeout S\n"
            "                          on SIGTERM, stop waiting for the brokers after S seconds\n"
            "                          (default: 20)\n"
            "      --log-level L       debug, info, warn or error (default: info)\n"
            "      --log-format F      json (default: one object per line) or text\n"
            "      --metrics ADDR      serve Prometheus metrics on ADDR (host:port, ':9090' for\n"
            "                          every interface): /metrics, and /healthz for probes\n"
            "      --print-config      print the effective configuration (YAML, each key with\n"
            "                          its origin, secrets redacted) and exit\n"
            "  -h, --help              this help\n"
            "\n"
            "The rules are reloaded without a restart on SIGHUP and when their files change\n"
            "(Kubernetes ConfigMap updates included): compiled in the background, swapped in\n"
            "between batches; a reload that fails keeps the rules in use and logs why.\n"
            "SIGINT/SIGTERM finish the current batch, commit and leave the group; when the\n"
            "brokers do not answer within --shutdown-timeout, weir exits 1 and what it had not\n"
            "committed is read again on restart (a watchdog exits 5 s later if a librdkafka\n"
            "call still waits). A second signal exits at once. Exit status:\n"
            "0 stopped cleanly, 1 runtime failure (e.g. an alert the broker refused, the\n"
            "shutdown timed out, or the last offset commit failed), 2 bad usage, rules,\n"
            "configuration or unreachable brokers.\n"
            "\n",
            cli_default_patterns());
    weir_config_help(fp);
}

enum {
    OPT_BATCH = 256,
    OPT_BATCH_MS,
    OPT_CONNECT_TIMEOUT,
    OPT_SHUTDOWN_TIMEOUT,
    OPT_LOG_LEVEL,
    OPT_LOG_FORMAT,
    OPT_MAX_EVENT,
    OPT_DB,
    OPT_DEAD_LETTER,
    OPT_OVERSIZE,
    OPT_PRINT_CONFIG,
    OPT_METRICS,
};

/* Flags that are plain config keys: the value goes through the key's own parser. Flags whose
 * unit differs from the key's default unit carry it in `suffix`. */
static const struct {
    int opt;
    const char *flag, *key, *suffix;
} FLAG_KEYS[] = {
    {'b', "--brokers", "brokers", NULL},
    {'r', "--rules", "rules", NULL},
    {OPT_DB, "--db", "rules_db", NULL},
    {OPT_MAX_EVENT, "--max-event", "max_event_size", NULL},
    {'g', "--group", "group.id", NULL},
    {'a', "--alerts-topic", "alerts.topic", NULL},
    {OPT_DEAD_LETTER, "--dead-letter-topic", "dead_letter.topic", NULL},
    {OPT_OVERSIZE, "--oversize", "oversize", NULL},
    {'d', "--delivery", "delivery", NULL},
    {'w', "--workers", "workers", NULL},
    {OPT_BATCH, "--batch", "batch.max_events", NULL},
    {OPT_BATCH_MS, "--batch-ms", "batch.max_ms", "ms"},
    {OPT_CONNECT_TIMEOUT, "--connect-timeout", "connect_timeout", "s"},
    {OPT_SHUTDOWN_TIMEOUT, "--shutdown-timeout", "shutdown_timeout", "s"},
    {OPT_LOG_LEVEL, "--log-level", "log.level", NULL},
    {OPT_LOG_FORMAT, "--log-format", "log.format", NULL},
    {OPT_METRICS, "--metrics", "metrics.listen", NULL},
};

static int set_flag(weir_config *cfg, const char *flag, const char *key, const char *value,
                    const char *suffix)
{
    char err[1024], buf[512];
    if (suffix && *value && strspn(value, "0123456789") == strlen(value)) {
        snprintf(buf, sizeof(buf), "%s%s", value, suffix); /* bare number in the flag's unit */
        value = buf;
    }
    if (weir_config_set(cfg, key, value, WEIR_CFG_SRC_FLAG, err, sizeof(err)) != 0) {
        fprintf(stderr, "weir run: %s: %s\n", flag, err);
        return -1;
    }
    return 0;
}

/* -X key=value goes to both clients; -X consumer.key=value / producer.key=value to one. */
static int set_kafka_flag(weir_config *cfg, const char *kv)
{
    if (!strchr(kv, '=')) {
        fprintf(stderr, "weir run: -X %s: expected key=value\n", kv);
        return -1;
    }
    if (strncmp(kv, "consumer.", 9) == 0)
        return set_flag(cfg, "-X", "kafka.consumer", kv + 9, NULL);
    if (strncmp(kv, "producer.", 9) == 0)
        return set_flag(cfg, "-X", "kafka.producer", kv + 9, NULL);
    return set_flag(cfg, "-X", "kafka.consumer", kv, NULL) ||
                   set_flag(cfg, "-X", "kafka.producer", kv, NULL)
               ? -1
               : 0;
}

/* --topic T [--format F]: inputs "T:F"; --format alone sets the format of the file's inputs. */
static int set_inputs(weir_config *cfg, const strvec *topics, const char *format)
{
    char item[512], err[1024];
    if (topics->n == 0 && format) {
        fprintf(stderr, "weir run: --format applies to the --topic inputs; in a config file "
                        "give each input its format\n");
        return -1;
    }
    for (size_t i = 0; i < topics->n; i++) {
        snprintf(item, sizeof(item), "%s:%s", topics->v[i], format ? format : "auto");
        if (weir_config_set(cfg, "inputs", item, WEIR_CFG_SRC_FLAG, err, sizeof(err)) != 0) {
            fprintf(stderr, "weir run: --topic/--format: %s\n", err);
            return -1;
        }
    }
    return 0;
}

/* The engine from the config's rules_db, rules, or the bundled packs. Rejected rules go to
 * stderr at startup (prog set) and to the log on reload (prog NULL). */
static weir_engine *config_engine(const weir_config *cfg, const char *prog, char *err,
                                  size_t errlen)
{
    size_t n;
    const char *db = weir_config_str(cfg, WEIR_CFG_RULES_DB);
    const char *const *paths = weir_config_list(cfg, WEIR_CFG_RULES, &n);
    return cli_engine(*db ? db : NULL, paths, n, prog, err, errlen);
}

static weir_engine *reload_build(void *ctx, char *err, size_t errlen)
{
    return config_engine(ctx, NULL, err, errlen);
}

/* Hands the engine to a reloader watching whatever it was built from; *eng is then NULL. */
static weir_reloader *run_reloader(const weir_config *cfg, weir_engine **eng, char *err,
                                   size_t errlen)
{
    size_t n;
    const char *db = weir_config_str(cfg, WEIR_CFG_RULES_DB);
    const char *const *paths = weir_config_list(cfg, WEIR_CFG_RULES, &n);
    const char *def = cli_default_patterns();
    if (*db) {
        paths = &db;
        n = 1;
    } else if (n == 0) {
        paths = &def;
        n = 1;
    }
    weir_reloader *rl = weir_reloader_start(*eng, paths, n, reload_build, (void *)cfg, &cli_hup,
                                            err, errlen);
    if (rl)
        *eng = NULL;
    return rl;
}

/* The closing log line; returns the exit status. */
static int report_end(weir_pipe_status ps, const weir_pipeline_stats *st, const char *err)
{
    char ev[32], al[32], ack[32], rate[32], el[32], mal[32], ovs[32], dl[32], rl[32], rf[32],
        pz[32], mv[32], fw[32], qf[32];
    snprintf(ev, sizeof(ev), "%" PRIu64, st->consumed);
    snprintf(al, sizeof(al), "%" PRIu64, st->matched);
    snprintf(ack, sizeof(ack), "%" PRIu64, st->alerts_acked);
    snprintf(rate, sizeof(rate), "%.0f",
             st->elapsed_s > 0 ? (double)st->consumed / st->elapsed_s : 0);
    snprintf(el, sizeof(el), "%.3f", st->elapsed_s);
    snprintf(mal, sizeof(mal), "%" PRIu64, st->malformed);
    snprintf(ovs, sizeof(ovs), "%" PRIu64, st->oversized);
    snprintf(dl, sizeof(dl), "%" PRIu64, st->dead_lettered);
    snprintf(rl, sizeof(rl), "%" PRIu64, st->reloads);
    snprintf(rf, sizeof(rf), "%" PRIu64, st->reload_failures);
    snprintf(pz, sizeof(pz), "%" PRIu64, st->pauses);
    snprintf(mv, sizeof(mv), "%" PRIu64, st->partition_moves);
    snprintf(fw, sizeof(fw), "%" PRIu64, st->fetch_wakeups);
    snprintf(qf, sizeof(qf), "%.3f", st->worker_queue_full_s);
    if (ps == WEIR_PIPE_OK) {
        wlog(WLOG_INFO, "stopped", "events", ev, "alerts", al, "alerts_acked", ack, "malformed",
             mal, "oversized", ovs, "dead_lettered", dl, "reloads", rl, "reload_failures", rf,
             "input_pauses", pz, "partition_moves", mv, "fetch_wakeups", fw,
             "worker_queue_full_s", qf, "events_per_s", rate, "elapsed_s", el, NULL);
        return WEIR_EXIT_OK;
    }
    /* startup errors are for the person at the terminal; runtime ones go to the log */
    if (ps == WEIR_PIPE_STARTUP)
        fprintf(stderr, "weir run: %s\n", err);
    else
        wlog(WLOG_ERROR, err, "events", ev, "alerts", al, "alerts_acked", ack, NULL);
    return ps == WEIR_PIPE_STARTUP ? WEIR_EXIT_USAGE : WEIR_EXIT_FAIL;
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'},
        {"brokers", required_argument, 0, 'b'},
        {"topic", required_argument, 0, 't'},
        {"rules", required_argument, 0, 'r'},
        {"format", required_argument, 0, 'f'},
        {"db", required_argument, 0, OPT_DB},
        {"max-event", required_argument, 0, OPT_MAX_EVENT},
        {"oversize", required_argument, 0, OPT_OVERSIZE},
        {"dead-letter-topic", required_argument, 0, OPT_DEAD_LETTER},
        {"group", required_argument, 0, 'g'},
        {"alerts-topic", required_argument, 0, 'a'},
        {"exit-eof", no_argument, 0, 'e'},
        {"delivery", required_argument, 0, 'd'},
        {"workers", required_argument, 0, 'w'},
        {"batch", required_argument, 0, OPT_BATCH},
        {"batch-ms", required_argument, 0, OPT_BATCH_MS},
        {"connect-timeout", required_argument, 0, OPT_CONNECT_TIMEOUT},
        {"shutdown-timeout", required_argument, 0, OPT_SHUTDOWN_TIMEOUT},
        {"log-level", required_argument, 0, OPT_LOG_LEVEL},
        {"log-format", required_argument, 0, OPT_LOG_FORMAT},
        {"print-config", no_argument, 0, OPT_PRINT_CONFIG},
        {"metrics", required_argument, 0, OPT_METRICS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    weir_pipeline_opts o;
    weir_pipeline_opts_init(&o);
    strvec topics = {0};
    const char *cfgfile = NULL, *format = NULL;
    char err[1024];
    int rc = WEIR_EXIT_USAGE, c, print_config = 0;
    weir_engine *eng = NULL;
    weir_mock *mock = NULL;
    weir_reloader *rl = NULL;
    weir_metrics *metrics = NULL;
    weir_config *cfg = weir_config_new();
    if (!cfg) {
        fprintf(stderr, "weir run: out of memory\n");
        return WEIR_EXIT_FAIL;
    }

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:b:t:r:f:g:a:X:ew:d:h", longopts, NULL)) != -1) {
        size_t k;
        for (k = 0; k < sizeof(FLAG_KEYS) / sizeof(FLAG_KEYS[0]); k++)
            if (FLAG_KEYS[k].opt == c)
                break;
        if (k < sizeof(FLAG_KEYS) / sizeof(FLAG_KEYS[0])) {
            if (set_flag(cfg, FLAG_KEYS[k].flag, FLAG_KEYS[k].key, optarg, FLAG_KEYS[k].suffix))
                goto out;
            continue;
        }
        switch (c) {
        case 'c':
            cfgfile = optarg;
            break;
        case 't':
            strvec_push(&topics, optarg);
            break;
        case 'f':
            format = optarg;
            break;
        case 'X':
            if (set_kafka_flag(cfg, optarg) != 0)
                goto out;
            break;
        case 'e':
            if (set_flag(cfg, "--exit-eof", "exit_eof", "true", NULL) != 0)
                goto out;
            break;
        case OPT_PRINT_CONFIG:
            print_config = 1;
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
    if (set_inputs(cfg, &topics, format) != 0)
        goto out;
    /* precedence is by source, not by order: flags set above still win over file and env */
    if ((cfgfile && weir_config_load_file(cfg, cfgfile, err, sizeof(err)) != 0) ||
        weir_config_load_env(cfg, environ, err, sizeof(err)) != 0 ||
        weir_config_validate(cfg, err, sizeof(err)) != 0 ||
        weir_config_pipeline_opts(cfg, &o, err, sizeof(err)) != 0) {
        fprintf(stderr, "weir run: %s\n", err);
        goto out;
    }
    if (print_config) {
        weir_config_dump(cfg, stdout);
        rc = WEIR_EXIT_OK;
        goto out;
    }
    wlog_setup((wlog_level)weir_config_int(cfg, WEIR_CFG_LOG_LEVEL),
               (wlog_format)weir_config_int(cfg, WEIR_CFG_LOG_FORMAT));
    if (!(eng = config_engine(cfg, "weir run", err, sizeof(err)))) {
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

    o.stop = &cli_stop;
    /* 5 s past the pipeline's own bound (which keeps up to 2.5 s of floors after it): inside
     * Kubernetes' 30 s grace period with the default 20 s */
    if (wd_start(o.shutdown_timeout_ms / 1000.0, o.shutdown_timeout_ms / 1000.0 + 5.0, err,
                 sizeof(err)) != 0) {
        fprintf(stderr, "weir run: %s\n", err);
        goto out;
    }
    cli_install_signals();
    if (!(rl = run_reloader(cfg, &eng, err, sizeof(err)))) {
        fprintf(stderr, "weir run: %s\n", err);
        goto out;
    }
    o.reload = rl;
    const char *listen_addr = weir_config_str(cfg, WEIR_CFG_METRICS_LISTEN);
    if (*listen_addr) {
        if (!(metrics = weir_metrics_start(listen_addr, err, sizeof(err)))) {
            fprintf(stderr, "weir run: %s\n", err);
            goto out;
        }
        char port[16];
        snprintf(port, sizeof(port), "%d", weir_metrics_port(metrics));
        wlog(WLOG_INFO, "serving metrics", "listen", listen_addr, "port", port, NULL);
        o.metrics = metrics;
    }

    weir_pipeline_stats st;
    weir_pipe_status ps =
        weir_pipeline_run(&o, weir_reloader_current(rl), &st, err, sizeof(err));
    wd_stop();
    weir_metrics_publish(metrics, &st, -1, weir_engine_rules_hash(weir_reloader_current(rl)));
    rc = report_end(ps, &st, err);
    if (st.consumer_abandoned) {
        /* librdkafka's threads still wait on the silent brokers for that consumer: leave
         * without the exit handlers, which would tear down what those threads use */
        weir_metrics_stop(metrics);
        fflush(NULL);
        _exit(rc);
    }

out:
    wd_stop();
    weir_metrics_stop(metrics);
    weir_reloader_stop(rl); /* owns the engine in use once it started */
    weir_engine_destroy(eng);
    weir_mock_stop(mock);
    strvec_free(&topics);
    weir_config_free(cfg);
    return rc;
}

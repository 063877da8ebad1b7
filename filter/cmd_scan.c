/*
 * `weir scan`: offline retro-hunt over log files, with the same engine and alert schema as the
 * stream (plus log.file.path / log.file.line instead of the Kafka coordinates). Exit status
 * follows grep: 0 nothing matched, 1 something matched, 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "weir/clock.h"
#include "weir/alert.h"
#include "weir/log.h"
#include "weir/mpjson.h"

static void scan_usage(FILE *fp)
{
    fprintf(fp,
            "Usage: weir scan [OPTIONS] [FILE|-]...\n"
            "\n"
            "Scans log files (or standard input) line by line with the Sigma rules and writes\n"
            "one alert per matching line: the stream's alert schema with log.file.path and\n"
            "log.file.line (1-based) instead of the Kafka coordinates.\n"
            "\n"
            "Options:\n"
            "  -r, --rules PATH     Sigma rule file or directory (repeatable; default: %s)\n"
            "      --db FILE        compiled rules from 'weir compile' instead of --rules\n"
            "  -f, --format F       auto (default: per file, from headers and line shape), iis,\n"
            "                       httpproxy, ecp, oab, rpshttp, smtpreceive, msgtrack, syslog,\n"
            "                       combined, json\n"
            "  -o, --output O       json (default: one object per line) or msgpack (the alert\n"
            "                       bytes back to back, as on the alerts topic)\n"
            "  -s, --stats          print events, bytes, malformed lines, alerts per rule and\n"
            "                       events/s on stderr at the end\n"
            "      --max-event N    bytes of a line that are parsed (default: 65536)\n"
            "  -h, --help           this help\n"
            "\n"
            "A progress line is shown on stderr when it is a terminal.\n"
            "Exit status: 0 nothing matched, 1 something matched, 2 error (like grep).\n",
            cli_default_patterns());
}

typedef struct {
    weir_scanner *scanner;
    weir_parser *parser;
    const weir_engine *eng;
    msgpack_sbuffer sb;
    int msgpack_out;
    int progress;
    uint64_t events, bytes, malformed, alerts, headers;
    uint64_t *per_rule;
    double t0, last_progress;
} scan_ctx;

static void show_progress(scan_ctx *c, const char *name, uint64_t done, uint64_t total, int last)
{
    double t = weir_now_s();
    if (!last && t - c->last_progress < 0.2)
        return;
    c->last_progress = t;
    if (total)
        fprintf(stderr, "\r\033[Kweir scan: %s %3.0f%% %" PRIu64 " lines, %" PRIu64 " alerts", name,
                100.0 * (double)done / (double)total, c->events, c->alerts);
    else
        fprintf(stderr, "\r\033[Kweir scan: %s %" PRIu64 " lines, %" PRIu64 " alerts", name,
                c->events, c->alerts);
    if (last)
        fputc('\n', stderr);
}

/* Scans one open stream; returns 0, or -1 with err on a read or engine error. */
static int scan_stream(scan_ctx *c, FILE *fp, const char *name, char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t lineno = 0, done = 0, total = 0;
    struct stat st;
    if (c->progress && fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode))
        total = (uint64_t)st.st_size;
    weir_parser_reset(c->parser); /* a new file: forget the previous file's #Fields */
    int rc = 0;
    while ((n = getline(&line, &cap, fp)) != -1) {
        lineno++;
        done += (uint64_t)n;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        weir_hits h;
        if (weir_scanner_scan(c->scanner, c->parser, line, len, &h, err, errlen) != 0) {
            rc = -1;
            break;
        }
        if (h.parse_status == WEIR_PARSE_HEADER) {
            c->headers++;
            continue;
        }
        c->events++;
        c->bytes += len;
        c->malformed += h.parse_status == WEIR_PARSE_MALFORMED;
        if (h.n) {
            weir_alert_src src = {
                .file_path = name, .file_line = lineno, .ts_ms = -1, .read_ms = -1};
            if (weir_alert_encode(&c->sb, c->eng, &h, line, len, &src) != 0) {
                snprintf(err, errlen, "out of memory encoding an alert");
                rc = -1;
                break;
            }
            c->alerts++;
            for (size_t i = 0; i < h.n; i++)
                c->per_rule[h.rules[i]]++;
            if (c->msgpack_out) {
                fwrite(c->sb.data, 1, c->sb.size, stdout);
            } else {
                msgpack_unpacked u;
                msgpack_unpacked_init(&u);
                size_t off = 0;
                if (msgpack_unpack_next(&u, c->sb.data, c->sb.size, &off) ==
                    MSGPACK_UNPACK_SUCCESS) {
                    mpjson_write(stdout, &u.data);
                    fputc('\n', stdout);
                }
                msgpack_unpacked_destroy(&u);
            }
        }
        if (c->progress)
            show_progress(c, name, done, total, 0);
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
        rc = -1;
    }
    if (c->progress)
        show_progress(c, name, done, total, 1);
    free(line);
    return rc;
}

static void print_stats(const scan_ctx *c)
{
    double el = weir_now_s() - c->t0;
    fprintf(stderr,
            "weir scan: %" PRIu64 " events, %" PRIu64 " bytes, %" PRIu64 " malformed, %" PRIu64
            " header lines, %" PRIu64 " alerts in %.3f s (%.0f events/s, %.1f MB/s)\n",
            c->events, c->bytes, c->malformed, c->headers, c->alerts, el,
            el > 0 ? (double)c->events / el : 0.0, el > 0 ? (double)c->bytes / el / 1e6 : 0.0);
    for (size_t i = 0; i < weir_engine_nrules(c->eng); i++)
        if (c->per_rule[i])
            fprintf(stderr, "weir scan: %10" PRIu64 "  %s  %s\n", c->per_rule[i],
                    weir_engine_rule(c->eng, (uint32_t)i)->id,
                    weir_engine_rule(c->eng, (uint32_t)i)->title);
}

int cmd_scan(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"rules", required_argument, 0, 'r'},
        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"stats", no_argument, 0, 's'},
        {"max-event", required_argument, 0, 256},
        {"db", required_argument, 0, 257},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    strvec rules = {0};
    weir_format fmt = WEIR_FMT_AUTO;
    int stats = 0, c, rc = WEIR_EXIT_USAGE;
    size_t max_event = 0;
    char err[1024], *end;
    scan_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    msgpack_sbuffer_init(&ctx.sb);
    weir_engine *eng = NULL;
    const char *db = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "r:f:o:sh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            strvec_push(&rules, optarg);
            break;
        case 'f':
            if (weir_format_parse(optarg, &fmt) != 0) {
                fprintf(stderr, "weir scan: --format '%s': unknown format (see --help)\n", optarg);
                goto out;
            }
            break;
        case 'o':
            if (strcmp(optarg, "json") && strcmp(optarg, "msgpack")) {
                fprintf(stderr, "weir scan: --output '%s': expected json or msgpack\n", optarg);
                goto out;
            }
            ctx.msgpack_out = strcmp(optarg, "msgpack") == 0;
            break;
        case 's':
            stats = 1;
            break;
        case 256: {
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 256 || v > 256L * 1024 * 1024) {
                fprintf(stderr, "weir scan: --max-event '%s': expected 256 to 268435456\n",
                        optarg);
                goto out;
            }
            max_event = (size_t)v;
            break;
        }
        case 257:
            db = optarg;
            break;
        case 'h':
            scan_usage(stdout);
            rc = WEIR_EXIT_OK;
            goto out;
        default:
            fprintf(stderr, "weir scan: try 'weir scan --help'\n");
            goto out;
        }
    }
    wlog_setup(WLOG_WARN, WLOG_TEXT);
    if (!(eng = cli_engine(db, rules.v, rules.n, "weir scan", err, sizeof(err)))) {
        fprintf(stderr, "weir scan: %s\n", err);
        goto out;
    }
    ctx.eng = eng;
    ctx.per_rule = calloc(weir_engine_nrules(eng), sizeof(uint64_t));
    if (!ctx.per_rule || !(ctx.scanner = weir_scanner_new(eng, max_event, err, sizeof(err))) ||
        !(ctx.parser = weir_parser_new(fmt, err, sizeof(err)))) {
        fprintf(stderr, "weir scan: %s\n", err);
        goto out;
    }
    ctx.progress = isatty(STDERR_FILENO) && !stats;
    ctx.t0 = weir_now_s();
    int nfiles = argc - optind;
    for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
        const char *name = nfiles ? argv[optind + i] : "-";
        FILE *fp = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
        if (!fp) {
            fprintf(stderr, "weir scan: %s: %s\n", name, strerror(errno));
            goto out;
        }
        int r = scan_stream(&ctx, fp, strcmp(name, "-") == 0 ? "(stdin)" : name, err,
                            sizeof(err));
        if (fp != stdin)
            fclose(fp);
        if (r != 0) {
            fprintf(stderr, "weir scan: %s\n", err);
            goto out;
        }
    }
    fflush(stdout);
    if (stats)
        print_stats(&ctx);
    rc = ctx.alerts ? WEIR_EXIT_FAIL : WEIR_EXIT_OK;
out:
    weir_parser_destroy(ctx.parser);
    weir_scanner_destroy(ctx.scanner);
    msgpack_sbuffer_destroy(&ctx.sb);
    free(ctx.per_rule);
    weir_engine_destroy(eng);
    strvec_free(&rules);
    return rc;
}

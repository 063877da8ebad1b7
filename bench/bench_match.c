/*
 * weir-bench-match: the matcher benchmark's measuring program (bench/weir-bench drives it).
 *
 * Loads a corpus (one file per log format) into memory, then measures one of:
 *   engine   weir's engine: parse + match every line with T threads (one scanner each);
 *   ceiling  one Hyperscan block database of every expression the engine holds, each raw line
 *            scanned once, no parsing, every expression that matches reported (as a matcher
 *            that says which rules fire must): the most a matcher of these patterns could do
 *            on this machine;
 *   ceiling-first  the same, stopping at a line's first match: it only answers "does anything
 *            match", which no rule engine can stop at; shown beside the ceiling, not as it;
 *   pcre2    the naive engine: the same expressions compiled with PCRE2 and JIT, every one
 *            tried against each raw line (no parsing, no field scoping).
 * Each mode repeats whole passes until --min-seconds have passed and reports the rate over all
 * passes, as one JSON object on stdout. Lines are counted, not alerts written: output cost is
 * the same for every contender and left out.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <inttypes.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weir/clock.h"
#include "weir/engine.h"
#include "weir/event.h"
#include "weir/sigma.h"

#define MAX_INPUTS 32
#define MAX_RULE_PATHS 64

typedef struct {
    weir_format fmt;
    char *buf;     /* the file, lines NUL-free, '\n' kept out of the spans */
    size_t *off, *len;
    size_t n;
    size_t bytes;
} input_t;

static input_t inputs[MAX_INPUTS];
static size_t ninputs;
static size_t total_lines, total_bytes;

static void die(const char *msg, const char *detail)
{
    fprintf(stderr, "weir-bench-match: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void load_input(const char *spec)
{
    const char *colon = strchr(spec, ':');
    char fmtname[32];
    if (!colon || (size_t)(colon - spec) >= sizeof(fmtname) || ninputs == MAX_INPUTS)
        die("--input wants FORMAT:PATH", spec);
    memcpy(fmtname, spec, (size_t)(colon - spec));
    fmtname[colon - spec] = '\0';
    input_t *in = &inputs[ninputs++];
    if (weir_format_parse(fmtname, &in->fmt) != 0)
        die("unknown format", fmtname);
    FILE *f = fopen(colon + 1, "rb");
    if (!f)
        die("cannot open", colon + 1);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    in->buf = malloc((size_t)sz + 1);
    if (!in->buf || fread(in->buf, 1, (size_t)sz, f) != (size_t)sz)
        die("cannot read", colon + 1);
    fclose(f);
    size_t cap = 1024;
    in->off = malloc(cap * sizeof(size_t));
    in->len = malloc(cap * sizeof(size_t));
    for (size_t p = 0; p < (size_t)sz;) {
        char *nl = memchr(in->buf + p, '\n', (size_t)sz - p);
        size_t e = nl ? (size_t)(nl - in->buf) : (size_t)sz;
        if (in->n == cap) {
            cap *= 2;
            in->off = realloc(in->off, cap * sizeof(size_t));
            in->len = realloc(in->len, cap * sizeof(size_t));
        }
        in->off[in->n] = p;
        in->len[in->n] = e - p;
        in->buf[e < (size_t)sz ? e : (size_t)sz] = '\0';
        in->bytes += e - p;
        in->n++;
        p = e + 1;
    }
    total_lines += in->n;
    total_bytes += in->bytes;
}

/* ---- engine ------------------------------------------------------------------------------ */

typedef struct {
    const weir_engine *eng;
    int t, nthreads, passes;
    size_t matched;
    size_t scratch;
    uint64_t memo_lookups, memo_hits;
} worker_arg;

static void *engine_worker(void *p)
{
    worker_arg *a = p;
    char err[512];
    weir_scanner *s = weir_scanner_new(a->eng, 65536, err, sizeof(err));
    if (!s)
        die("scanner", err);
    a->scratch = weir_scanner_scratch_bytes(s);
    weir_parser *parsers[MAX_INPUTS];
    for (size_t i = 0; i < ninputs; i++)
        if (!(parsers[i] = weir_parser_new(inputs[i].fmt, err, sizeof(err))))
            die("parser", err);
    for (int pass = 0; pass < a->passes; pass++) {
        for (size_t i = 0; i < ninputs; i++) {
            /* a contiguous share of each file: per-stream parser state stays in order */
            size_t lo = inputs[i].n * (size_t)a->t / (size_t)a->nthreads;
            size_t hi = inputs[i].n * (size_t)(a->t + 1) / (size_t)a->nthreads;
            for (size_t k = lo; k < hi; k++) {
                weir_hits h;
                if (weir_scanner_scan(s, parsers[i], inputs[i].buf + inputs[i].off[k],
                                      inputs[i].len[k], &h, err, sizeof(err)) != 0)
                    die("scan", err);
                if (pass == 0 && h.n)
                    a->matched++;
            }
        }
    }
    for (size_t i = 0; i < ninputs; i++)
        weir_parser_destroy(parsers[i]);
    weir_scanner_memo_counts(s, &a->memo_lookups, &a->memo_hits);
    weir_scanner_destroy(s);
    return NULL;
}

static double run_engine(const weir_engine *e, int threads, int passes, size_t *matched,
                         size_t *scratch, uint64_t memo[2])
{
    pthread_t th[256];
    worker_arg args[256];
    double t0 = weir_now_s();
    for (int t = 0; t < threads; t++) {
        args[t] = (worker_arg){.eng = e, .t = t, .nthreads = threads, .passes = passes};
        pthread_create(&th[t], NULL, engine_worker, &args[t]);
    }
    *matched = 0;
    memo[0] = memo[1] = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        *matched += args[t].matched;
        *scratch = args[t].scratch;
        memo[0] += args[t].memo_lookups;
        memo[1] += args[t].memo_hits;
    }
    return weir_now_s() - t0;
}

/* ---- ceiling ------------------------------------------------------------------------------ */

typedef struct {
    size_t hits; /* expressions matched in this line */
    int first;   /* stop at the first */
} ceil_ctx;

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
                    void *ctx)
{
    (void)id, (void)from, (void)to, (void)fl;
    ceil_ctx *c = ctx;
    c->hits++;
    return c->first; /* non-zero stops the scan */
}

static double run_ceiling(const weir_engine *e, int passes, int first, size_t *matched,
                          size_t *db_bytes)
{
    size_t n = weir_engine_nexprs(e);
    const char **exprs = calloc(n, sizeof(char *));
    unsigned *flags = calloc(n, sizeof(unsigned)), *ids = calloc(n, sizeof(unsigned));
    for (size_t i = 0; i < n; i++) {
        weir_engine_expr(e, i, &exprs[i], &flags[i]);
        flags[i] |= HS_FLAG_SINGLEMATCH;
        ids[i] = (unsigned)i;
    }
    hs_database_t *db;
    hs_compile_error_t *ce;
    if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &db, &ce) !=
        HS_SUCCESS)
        die("hs_compile_multi", ce->message);
    hs_scratch_t *scratch = NULL;
    hs_alloc_scratch(db, &scratch);
    hs_database_size(db, db_bytes);
    double t0 = weir_now_s();
    *matched = 0;
    for (int pass = 0; pass < passes; pass++)
        for (size_t i = 0; i < ninputs; i++)
            for (size_t k = 0; k < inputs[i].n; k++) {
                ceil_ctx c = {.hits = 0, .first = first};
                hs_scan(db, inputs[i].buf + inputs[i].off[k], (unsigned)inputs[i].len[k], 0,
                        scratch, on_match, &c);
                if (pass == 0)
                    *matched += c.hits > 0;
            }
    double dt = weir_now_s() - t0;
    hs_free_scratch(scratch);
    hs_free_database(db);
    free(exprs);
    free(flags);
    free(ids);
    return dt;
}

/* ---- PCRE2 -------------------------------------------------------------------------------- */

static double run_pcre2(const weir_engine *e, int passes, size_t limit, size_t *matched,
                        size_t *lines, size_t *skipped)
{
    size_t n = weir_engine_nexprs(e), nre = 0;
    pcre2_code **re = calloc(n, sizeof(*re));
    *skipped = 0;
    for (size_t i = 0; i < n; i++) {
        const char *x;
        unsigned f, opt = 0;
        weir_engine_expr(e, i, &x, &f);
        opt |= (f & HS_FLAG_CASELESS) ? PCRE2_CASELESS : 0;
        opt |= (f & HS_FLAG_DOTALL) ? PCRE2_DOTALL : 0;
        opt |= (f & HS_FLAG_MULTILINE) ? PCRE2_MULTILINE : 0;
        opt |= (f & HS_FLAG_UTF8) ? PCRE2_UTF : 0;
        int ec;
        PCRE2_SIZE eo;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)x, PCRE2_ZERO_TERMINATED, opt, &ec, &eo, NULL);
        if (!c) {
            (*skipped)++; /* Hyperscan-only syntax; counted and reported */
            continue;
        }
        pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
        re[nre++] = c;
    }
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    *matched = 0;
    *lines = 0;
    double t0 = weir_now_s();
    for (int pass = 0; pass < passes; pass++)
        for (size_t i = 0; i < ninputs; i++) {
            /* the same share of every file, so the mix of formats is the corpus's */
            size_t upto = limit && limit < total_lines
                              ? (size_t)((double)inputs[i].n * (double)limit / (double)total_lines)
                              : inputs[i].n;
            for (size_t k = 0; k < upto; k++) {
                /* every expression, as an engine reporting which rules matched must: a
                 * first-match exit would only say "something matched" */
                int hit = 0;
                for (size_t r = 0; r < nre; r++)
                    hit |= pcre2_match(re[r], (PCRE2_SPTR)(inputs[i].buf + inputs[i].off[k]),
                                       inputs[i].len[k], 0, 0, md, NULL) >= 0;
                if (pass == 0) {
                    *matched += (size_t)hit;
                    (*lines)++;
                }
            }
        }
    double dt = weir_now_s() - t0;
    pcre2_match_data_free(md);
    for (size_t r = 0; r < nre; r++)
        pcre2_code_free(re[r]);
    free(re);
    return dt;
}

/* ---- dump: the expressions, for the rg/grep baselines --------------------------------------- */

static void dump(const weir_engine *e)
{
    for (size_t i = 0; i < weir_engine_nexprs(e); i++) {
        const char *x;
        unsigned f;
        weir_engine_expr(e, i, &x, &f);
        printf("{\"flags\":%u,\"expr\":\"", f);
        for (const unsigned char *c = (const unsigned char *)x; *c; c++) {
            if (*c == '"' || *c == '\\')
                printf("\\%c", *c);
            else if (*c < 0x20 || *c >= 0x7f)
                printf("\\u%04x", *c);
            else
                putchar(*c);
        }
        printf("\"}\n");
    }
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "Usage: weir-bench-match --mode engine|ceiling|ceiling-first|pcre2|dump\n"
            "                        (--rules PATH...|--db FILE)\n"
            "                        --input FORMAT:PATH... [--threads N] [--min-seconds S]\n"
            "                        [--limit LINES (pcre2)]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *mode = NULL, *db = NULL, *rules[MAX_RULE_PATHS];
    size_t nrules = 0, limit = 0;
    int threads = 1;
    double min_s = 2.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--mode"))
            mode = v;
        else if (!strcmp(a, "--rules") && nrules < MAX_RULE_PATHS)
            rules[nrules++] = v;
        else if (!strcmp(a, "--db"))
            db = v;
        else if (!strcmp(a, "--input"))
            load_input(v);
        else if (!strcmp(a, "--threads"))
            threads = atoi(v);
        else if (!strcmp(a, "--min-seconds"))
            min_s = atof(v);
        else if (!strcmp(a, "--limit"))
            limit = (size_t)atoll(v);
        else
            usage();
        i++;
    }
    if (!mode || (!db && !nrules) || !ninputs || threads < 1 || threads > 256)
        usage();

    char err[1024];
    weir_engine *e = NULL;
    weir_build_report rep = {0};
    if (db) {
        if (weir_engine_load(&e, db, err, sizeof(err)) != 0)
            die("cannot load", err);
    } else {
        sigma_ruleset *set = sigma_ruleset_new();
        for (size_t i = 0; i < nrules; i++)
            if (sigma_load_path(set, rules[i], err, sizeof(err)) < 0)
                die("cannot load rules", err);
        if (weir_engine_build(&e, set, &rep, err, sizeof(err)) != 0)
            die("cannot compile rules", err);
        sigma_ruleset_destroy(set);
    }

    size_t matched = 0, scratch = 0, dbb = weir_engine_db_bytes(e), lines = total_lines;
    size_t bytes = total_bytes, skipped = 0;
    /* one calibration pass, then as many passes as fill min_s */
    double one, dt;
    uint64_t memo[2] = {0, 0}; /* engine: memo lookups, hits (weir_scanner_memo_counts) */
    int passes;
    if (!strcmp(mode, "dump")) {
        dump(e);
        weir_engine_destroy(e);
        return 0;
    }
    if (!strcmp(mode, "engine")) {
        one = run_engine(e, threads, 1, &matched, &scratch, memo);
        passes = one >= min_s ? 1 : (int)(min_s / (one > 1e-6 ? one : 1e-6)) + 1;
        dt = passes == 1 ? one : run_engine(e, threads, passes, &matched, &scratch, memo);
    } else if (!strcmp(mode, "ceiling") || !strcmp(mode, "ceiling-first")) {
        int first = !strcmp(mode, "ceiling-first");
        one = run_ceiling(e, 1, first, &matched, &dbb);
        passes = one >= min_s ? 1 : (int)(min_s / (one > 1e-6 ? one : 1e-6)) + 1;
        dt = passes == 1 ? one : run_ceiling(e, passes, first, &matched, &dbb);
    } else if (!strcmp(mode, "pcre2")) {
        passes = 1;
        dt = run_pcre2(e, 1, limit, &matched, &lines, &skipped);
        bytes = (size_t)((double)total_bytes * (double)lines / (double)total_lines);
    } else {
        usage();
        return 2;
    }
    double ev = (double)lines * passes / dt;
    printf("{\"mode\":\"%s\",\"threads\":%d,\"rules\":%zu,\"expressions\":%zu,\"databases\":%zu,"
           "\"compile_ms\":%.1f,\"db_bytes\":%zu,\"scratch_bytes\":%zu,\"lines\":%zu,"
           "\"bytes\":%zu,\"passes\":%d,\"seconds\":%.4f,\"events_per_s\":%.0f,"
           "\"mb_per_s\":%.2f,\"matched_lines\":%zu,\"expressions_skipped\":%zu,"
           "\"rejected_rules\":%zu,\"memo_lookups\":%" PRIu64 ",\"memo_hits\":%" PRIu64 "}\n",
           mode, threads, weir_engine_nrules(e), weir_engine_nexprs(e),
           weir_engine_ndatabases(e), weir_engine_compile_ms(e), dbb, scratch, lines, bytes,
           passes, dt, ev, (double)bytes * passes / dt / 1e6, matched, skipped, rep.nrejected,
           memo[0], memo[1]);
    weir_build_report_free(&rep);
    weir_engine_destroy(e);
    return 0;
}

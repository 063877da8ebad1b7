/*
 * Helpers shared by the subcommands.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weir/log.h"
#include "weir/sigma.h"
#include "watchdog.h"

#ifndef WEIR_PATTERNS_DIR
#define WEIR_PATTERNS_DIR "patterns"
#endif

volatile sig_atomic_t cli_stop = 0;
volatile sig_atomic_t cli_hup = 0;

static void on_hup(int sig)
{
    (void)sig;
    cli_hup = 1;
}

static void on_signal(int sig)
{
    if (cli_stop)
        _exit(128 + sig); /* second signal: stop now, whatever is in flight */
    cli_stop = 1;
    wd_signal(); /* bounds the shutdown even where librdkafka does not (watchdog.h) */
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
}

int strvec_push(strvec *sv, const char *s)
{
    if (sv->n == sv->cap) {
        size_t nc = sv->cap ? sv->cap * 2 : 8;
        const char **nv = realloc(sv->v, nc * sizeof(char *));
        if (!nv)
            return -1;
        sv->v = nv;
        sv->cap = nc;
    }
    sv->v[sv->n++] = s;
    return 0;
}

void strvec_free(strvec *sv)
{
    free(sv->v);
    memset(sv, 0, sizeof(*sv));
}

int cli_split_kafka_prop(const char *kv, strvec *consumer, strvec *producer, char *err,
                         size_t errlen)
{
    if (!strchr(kv, '=')) {
        snprintf(err, errlen, "-X %s: expected key=value", kv);
        return -1;
    }
    if (strncmp(kv, "consumer.", 9) == 0)
        return strvec_push(consumer, kv + 9);
    if (strncmp(kv, "producer.", 9) == 0)
        return strvec_push(producer, kv + 9);
    if (strvec_push(consumer, kv) || strvec_push(producer, kv))
        return -1;
    return 0;
}

weir_engine *cli_load_engine(const char *const *paths, size_t n, const char *prog, int strict,
                             char *err, size_t errlen)
{
    sigma_ruleset *set = sigma_ruleset_new();
    weir_engine *e = NULL;
    weir_build_report rep = {0};
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (sigma_load_path(set, paths[i], err, errlen) < 0)
            goto out;
    }
    if (set->nentries == 0) {
        snprintf(err, errlen, "no Sigma rules (*.yml, *.yaml) found in %s%s", paths[0],
                 n > 1 ? " and the other --rules paths" : "");
        goto out;
    }
    int built = weir_engine_build(&e, set, &rep, err, errlen) == 0;
    for (size_t i = 0; i < rep.nrejected; i++) {
        if (prog)
            fprintf(stderr, "%s: %s\n", prog, rep.rejected[i].message);
        else
            wlog(WLOG_ERROR, "rule rejected", "reason", rep.rejected[i].message, NULL);
    }
    if (built && strict && rep.nrejected) {
        /* a partial rule set running unnoticed is worse than not starting */
        snprintf(err, errlen, "%zu of %zu rules rejected (first: %s); fix or remove them",
                 rep.nrejected, rep.nrules, rep.rejected[0].message);
        weir_engine_destroy(e);
        e = NULL;
    }
out:
    weir_build_report_free(&rep);
    sigma_ruleset_destroy(set);
    return e;
}

weir_engine *cli_engine(const char *db, const char *const *paths, size_t n, const char *prog,
                        char *err, size_t errlen)
{
    if (db) {
        weir_engine *e = NULL;
        if (n > 0) {
            snprintf(err, errlen, "--db and --rules exclude each other");
            return NULL;
        }
        return weir_engine_load(&e, db, err, errlen) == 0 ? e : NULL;
    }
    if (n == 0) {
        const char *def = cli_default_patterns();
        return cli_load_engine(&def, 1, prog, 1, err, errlen);
    }
    return cli_load_engine(paths, n, prog, 1, err, errlen);
}

const char *cli_default_patterns(void)
{
    const char *env = getenv("WEIR_PATTERNS");
    return env && *env ? env : WEIR_PATTERNS_DIR;
}

/*
 * Helpers shared by the subcommands.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weir/rules.h"

#ifndef WEIR_PATTERNS_DIR
#define WEIR_PATTERNS_DIR "patterns"
#endif

volatile sig_atomic_t cli_stop = 0;

static void on_signal(int sig)
{
    if (cli_stop)
        _exit(128 + sig); /* second signal: stop now, whatever is in flight */
    cli_stop = 1;
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
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

weir_engine *cli_load_engine(const char *const *paths, size_t n, char *err, size_t errlen)
{
    weir_ruleset *rs = weir_ruleset_new();
    weir_engine *e = NULL;
    if (!rs) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (weir_rules_load_path(rs, paths[i], err, errlen) != 0) {
            weir_ruleset_destroy(rs);
            return NULL;
        }
    }
    if (weir_engine_new(&e, rs, err, errlen) != 0) {
        weir_ruleset_destroy(rs);
        return NULL;
    }
    return e;
}

const char *cli_default_patterns(void)
{
    const char *env = getenv("WEIR_PATTERNS");
    return env && *env ? env : WEIR_PATTERNS_DIR;
}

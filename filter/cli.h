/*
 * Shared by the weir subcommands (private to the executable): exit codes, the -X property
 * split, rules loading, and the signal flag.
 */
#ifndef WEIR_CLI_H
#define WEIR_CLI_H

#include <signal.h>
#include <stddef.h>

#include "weir/engine.h"

/* Like grep: 0 ok/nothing found, 1 something found or a runtime failure, 2 usage or config. */
enum { WEIR_EXIT_OK = 0, WEIR_EXIT_FAIL = 1, WEIR_EXIT_USAGE = 2 };

typedef struct {
    const char **v;
    size_t n, cap;
} strvec;

int strvec_push(strvec *sv, const char *s);
void strvec_free(strvec *sv);

/*
 * -X key=value goes to both clients; -X consumer.key=value / -X producer.key=value to one.
 * Returns -1 with err if kv has no '='.
 */
int cli_split_kafka_prop(const char *kv, strvec *consumer, strvec *producer, char *err,
                         size_t errlen);

/*
 * Loads every path (a Sigma file, or a directory of them) and compiles one engine. Each rejected
 * rule is printed on stderr as "PROG: FILE:LINE: rule ID: reason" (logged, when prog is NULL). With strict, any rejection
 * fails the load (weir run refuses to start on a partial rule set). NULL with err on failure.
 */
weir_engine *cli_load_engine(const char *const *paths, size_t n, const char *prog, int strict,
                             char *err, size_t errlen);

/* The engine from a compiled rules file (db != NULL) or else from Sigma paths (strict). */
weir_engine *cli_engine(const char *db, const char *const *paths, size_t n, const char *prog,
                        char *err, size_t errlen);

/* The rule pack directory used when no --rules is given: $WEIR_PATTERNS, else the build's. */
const char *cli_default_patterns(void);

/* SIGINT/SIGTERM set cli_stop; a second signal exits at once (the user means it). SIGHUP sets
 * cli_hup: reload the rules. */
extern volatile sig_atomic_t cli_stop;
extern volatile sig_atomic_t cli_hup;
void cli_install_signals(void);

int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_compile(int argc, char **argv);

#endif

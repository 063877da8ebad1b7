/*
 * Reading an alerts topic back for people (`weir alerts`, and the demo's printout): every
 * partition is assigned directly (no consumer group, nothing committed), each msgpack alert is
 * decoded and written as JSON or as one compact line.
 */
#ifndef WEIR_READER_H
#define WEIR_READER_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { WEIR_READER_JSON = 0, WEIR_READER_COMPACT } weir_reader_format;

typedef struct weir_reader_opts {
    const char *brokers;
    const char *topic;
    int from_beginning;     /* else only alerts that arrive from now on */
    int exit_eof;           /* stop at the end of every partition */
    uint64_t count;         /* stop after this many alerts (0: no limit) */
    int read_committed;     /* isolation.level=read_committed */
    int timeout_ms;         /* give up after this long without an alert (0: wait forever) */
    weir_reader_format format;
    const char *const *props; /* "key=value" librdkafka properties */
    size_t nprops;
    FILE *out;
    volatile sig_atomic_t *stop;
} weir_reader_opts;

typedef struct weir_reader_stats {
    uint64_t alerts;
    uint64_t undecodable; /* messages that are not msgpack: printed as {"undecodable":…} */
} weir_reader_stats;

void weir_reader_opts_init(weir_reader_opts *o);

/* Returns 0 when done, 1 on timeout, 2 on startup error (err set), 3 on a runtime error. */
int weir_reader_run(const weir_reader_opts *o, weir_reader_stats *st, char *err, size_t errlen);

#endif

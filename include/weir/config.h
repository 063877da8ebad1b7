/*
 * Configuration of `weir run`: one declared table of keys (filter/config.c) that the YAML
 * loader, the environment, command-line flags, validation, --help and docs/config.md all
 * draw from.
 *
 * Sources, lowest to highest: defaults < YAML file < WEIR_* environment < command-line flags.
 * Every source goes through the same per-key parser, so a value is checked the same way
 * wherever it comes from, and a value from a lower source is still checked even when a higher
 * one overrides it (a typo in the file is an error, not a silently dead line). Precedence is
 * decided by source, not by call order: cmd_run may apply flags first and load the file after.
 *
 * Ownership: weir_config_new() returns a config the caller weir_config_free()s. Every string
 * or array a getter returns is owned by the config and valid until the next call that changes
 * it (load/set) or weir_config_free(). Once loaded and validated a config is not changed
 * again, so worker threads may read it concurrently.
 */
#ifndef WEIR_CONFIG_H
#define WEIR_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "weir/event.h"

struct weir_pipeline_opts;

typedef struct weir_config weir_config;

/* Where a value came from; a higher source overrides a lower one. */
typedef enum weir_cfg_source {
    WEIR_CFG_SRC_DEFAULT = 0,
    WEIR_CFG_SRC_FILE,
    WEIR_CFG_SRC_ENV,
    WEIR_CFG_SRC_FLAG,
} weir_cfg_source;

/* The keys, in table order (the order of --help, the docs and weir_config_dump). */
typedef enum weir_cfg_key {
    WEIR_CFG_BROKERS = 0,       /* string */
    WEIR_CFG_GROUP_ID,          /* string */
    WEIR_CFG_INPUTS,            /* list of {topic, format}: weir_config_list + _input_format */
    WEIR_CFG_ALERTS_TOPIC,      /* string */
    WEIR_CFG_DEAD_LETTER_TOPIC, /* string, "" = none */
    WEIR_CFG_RULES,             /* list of paths */
    WEIR_CFG_RULES_DB,          /* string, "" = none */
    WEIR_CFG_WORKERS,           /* int, 0 = one per online CPU */
    WEIR_CFG_DELIVERY,          /* enum WEIR_CFG_DELIVERY_* */
    WEIR_CFG_MAX_EVENT_SIZE,    /* size, bytes */
    WEIR_CFG_OVERSIZE,          /* enum WEIR_CFG_OVERSIZE_* */
    WEIR_CFG_BATCH_MAX_EVENTS,  /* int */
    WEIR_CFG_BATCH_MAX_MS,      /* duration, milliseconds */
    WEIR_CFG_CONNECT_TIMEOUT,   /* duration, milliseconds */
    WEIR_CFG_SHUTDOWN_TIMEOUT,  /* duration, milliseconds */
    WEIR_CFG_EXIT_EOF,          /* bool */
    WEIR_CFG_LOG_LEVEL,         /* enum, index = wlog_level */
    WEIR_CFG_LOG_FORMAT,        /* enum, index = wlog_format */
    WEIR_CFG_PROGRESS_INTERVAL, /* duration, milliseconds */
    WEIR_CFG_KAFKA_CONSUMER,    /* ordered "key=value" list for librdkafka */
    WEIR_CFG_KAFKA_PRODUCER,    /* ordered "key=value" list for librdkafka */
    WEIR_CFG_METRICS_LISTEN,    /* string host:port, "" = off */
    WEIR_CFG__COUNT
} weir_cfg_key;

/* Enum values are indexes into the key's allowed values, in the order --help lists them. */
enum { WEIR_CFG_DELIVERY_AT_LEAST_ONCE = 0, WEIR_CFG_DELIVERY_EXACTLY_ONCE };
enum { WEIR_CFG_OVERSIZE_TRUNCATE = 0, WEIR_CFG_OVERSIZE_DEAD_LETTER };

/* One row of the key table, for --help, docs and tests. The strings are static. */
typedef struct weir_cfg_info {
    const char *name; /* dotted YAML path: "group.id" */
    const char *env;  /* "WEIR_GROUP_ID" */
    const char *def;  /* default as the YAML would spell it; "" when there is none */
    const char *desc; /* one or two sentences */
    char type[128];   /* with bounds or values: "whole number 0..256", "size 256..256M" */
} weir_cfg_info;

/* ---- life cycle and sources ----------------------------------------------------------------- */

/* A config holding every default. NULL only when out of memory. */
weir_config *weir_config_new(void);
void weir_config_free(weir_config *c);

/*
 * Loads a YAML file (one document, a mapping; nested maps and dotted keys are equivalent:
 * `group: {id: x}` is `group.id: x`). Returns 0, or -1 with err naming the file, the line and
 * the key ("weir.yaml:7: key 'delivery': 'exactly_once' is not one of ..."). On error the
 * config may hold part of the file: report and discard it.
 */
int weir_config_load_file(weir_config *c, const char *path, char *err, size_t errlen);
/* The same from memory; name is used in messages. buf need not be NUL-terminated. */
int weir_config_load_buffer(weir_config *c, const char *name, const char *buf, size_t len,
                            char *err, size_t errlen);

/*
 * Applies the WEIR_* variables of envp (a NULL-terminated "NAME=value" array; pass `environ`).
 * Empty variables count as unset. Unknown WEIR_* names are ignored: Kubernetes defines
 * WEIR_SERVICE_HOST, WEIR_PORT... for a Service named weir. Errors name the variable.
 */
int weir_config_load_env(weir_config *c, char *const *envp, char *err, size_t errlen);

/*
 * Sets one key from text, as a flag would: key is the dotted name ("group.id") and value is
 * parsed and checked like a YAML scalar. For list keys each call adds ONE item ("rules": a
 * path; "inputs": "topic" or "topic:format"; "kafka.consumer"/"kafka.producer": "key=value",
 * or key "kafka.consumer.<property>" with the bare value): items from one source accumulate,
 * a higher source replaces a lower one's list (kafka maps merge property by property).
 * source is normally WEIR_CFG_SRC_FLAG. Errors read "key 'workers': expected ..."; the caller
 * prefixes the flag's name.
 */
int weir_config_set(weir_config *c, const char *key, const char *value, weir_cfg_source source,
                    char *err, size_t errlen);

/*
 * Cross-key rules, checked once every source is applied: brokers and at least one input are
 * required; rules and rules_db exclude each other (a higher source's choice drops the other
 * key's lower-source value); oversize: dead-letter needs dead_letter.topic; the alerts and
 * dead-letter topics are neither input topics nor each other.
 */
int weir_config_validate(const weir_config *c, char *err, size_t errlen);

/* ---- reading (all owned by c) --------------------------------------------------------------- */

/* String and enum keys: the value ("" when unset; the allowed value's name for an enum). */
const char *weir_config_str(const weir_config *c, weir_cfg_key k);
/* int, bool (0/1), size (bytes), duration (milliseconds), enum (index). 0 for other types. */
long long weir_config_int(const weir_config *c, weir_cfg_key k);
/* List keys: rules (paths), inputs (topics), kafka.* ("key=value"). *n gets the length. */
const char *const *weir_config_list(const weir_config *c, weir_cfg_key k, size_t *n);
/* The format of input i (i < the inputs list length). */
weir_format weir_config_input_format(const weir_config *c, size_t i);
/* Where the key's value came from: "default", "weir.yaml:7", "WEIR_WORKERS", "command line". */
const char *weir_config_origin(const weir_config *c, weir_cfg_key k);
weir_cfg_source weir_config_source(const weir_config *c, weir_cfg_key k);

/*
 * Fills the pipeline options this config covers (everything but `stop` and `reload`); the
 * pointers borrow from c, which must outlive o. Each input keeps its own format. More than
 * WEIR_PIPE_MAX_TOPICS inputs is an error.
 */
int weir_config_pipeline_opts(const weir_config *c, struct weir_pipeline_opts *o, char *err,
                              size_t errlen);

/* ---- the table, printed --------------------------------------------------------------------- */

/* Row k of the table (k < WEIR_CFG__COUNT). */
void weir_config_key_info(weir_cfg_key k, weir_cfg_info *out);

/* The key table as --help text. */
void weir_config_help(FILE *fp);
/* The key table as the Markdown rows of docs/config.md (a test keeps the two in step). */
void weir_config_help_markdown(FILE *fp);

/*
 * The effective config as YAML that weir_config_load_file reads back, each key with a
 * comment naming its origin. kafka.* values whose property name contains "password",
 * "secret", "sasl.oauthbearer" or "ssl.key.pem" are written as "[redacted]".
 */
void weir_config_dump(const weir_config *c, FILE *fp);

#endif

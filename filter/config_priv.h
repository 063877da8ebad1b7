/*
 * Private to the config module (filter/config*.c): the key table, the storage, the per-type
 * parsers (config_value.c) and precedence helpers (config.c) that the YAML loader
 * (config_yaml.c) shares with the other sources (config.c: flags, environment, validation,
 * reading), and the value spellings (config_value.c) that help and the dump (config_text.c)
 * share with the parsers' messages.
 */
#ifndef WEIR_CONFIG_PRIV_H
#define WEIR_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "weir/config.h"

/* Longest dotted path we try to match; longer ones cannot be keys. */
#define MAX_PATH 256

/* Byte units: the table's sizes (config.c) and their parsing and spelling (config_value.c). */
#define KIB 1024LL
#define MIB (1024LL * 1024)

/* ---- the table ------------------------------------------------------------------------------ */

typedef enum {
    T_STR,      /* text; flags may restrict its form */
    T_INT,      /* whole number in [min, max] */
    T_BOOL,     /* true/false (and the YAML 1.1 spellings) */
    T_ENUM,     /* one of values[] (case-insensitive); stored as the index */
    T_SIZE,     /* bytes, with an optional k/M/G suffix (powers of 1024), in [min, max] */
    T_DURATION, /* a number with ms, s or m, stored in milliseconds, in [min, max] */
    T_PATHS,    /* list of non-empty strings */
    T_INPUTS,   /* list of {topic, format} */
    T_KAFKA,    /* ordered librdkafka properties, kept as "key=value" */
} cfg_type;

#define F_NONEMPTY 1u /* "" is not a value */
#define F_TOPIC    2u /* a Kafka topic name, or "" where allowed */
#define F_HOSTPORT 4u /* host:port, or "" */

typedef struct cfg_def {
    const char *name; /* dotted YAML path */
    const char *env;  /* WEIR_ + name upper-cased, '.' → '_' (a test holds the table to it) */
    cfg_type type;
    const char *def; /* default, written as a user would; parsed by the same code */
    long long min, max;
    const char *const *values; /* T_ENUM: allowed values, NULL-terminated */
    unsigned flags;
    const char *desc; /* no '|': it goes into a Markdown table */
} cfg_def;

/* ---- storage -------------------------------------------------------------------------------- */

typedef struct strlist {
    char **v;
    int *aux; /* T_INPUTS: the weir_format; T_KAFKA: the weir_cfg_source of the property */
    size_t n, cap;
} strlist;

typedef struct slot {
    weir_cfg_source src;
    char *origin; /* NULL: "default" */
    char *s;      /* T_STR: never NULL */
    long long i;  /* T_INT, T_BOOL, T_ENUM (index), T_SIZE (bytes), T_DURATION (ms) */
    strlist l;    /* list types */
} slot;

struct weir_config {
    slot s[WEIR_CFG__COUNT];
};

/* The key table, indexed by weir_cfg_key. */
extern const cfg_def cfg_defs[WEIR_CFG__COUNT];

/* Writes a message into a caller's buffer; returns -1 so callers can `return cfg_say(...)`. */
int cfg_say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cfg_add_input(weir_config *c, bool apply, const char *topic, weir_format fmt, char *why,
                  size_t wl);
int cfg_add_path(weir_config *c, bool apply, weir_cfg_source src, const char *path, char *why,
                 size_t wl);
int cfg_add_prop(weir_config *c, weir_cfg_key k, const char *kv, weir_cfg_source src,
                 const char *origin, char *why, size_t wl);
/* A librdkafka property "key=value": the key is non-empty and free of '=' and spaces. */
int cfg_check_prop(const char *kv, char *why, size_t wl);
int cfg_check_topic(const char *s, char *why, size_t wl);
size_t cfg_edit_distance(const char *a, const char *b);
/* A size ("256M") or a duration ("200ms") in its shortest exact spelling: what the parsers read. */
void cfg_fmt_duration(char *out, size_t n, long long ms);
void cfg_fmt_size(char *out, size_t n, long long v);
int cfg_find_kafka_prefix(const char *path, const char **prop);
int cfg_find_key(const char *name);
bool cfg_list_begin(weir_config *c, weir_cfg_key k, weir_cfg_source src, const char *origin);
int cfg_parse_format(const char *s, weir_format *fmt, char *why, size_t wl);
int cfg_parse_input(const char *item, char *topic, size_t tlen, weir_format *fmt, char *why,
                    size_t wl);
/* Parses text as a value of d's scalar type into *out (strings are only checked). */
int cfg_parse_scalar(const cfg_def *d, const char *s, long long *out, char *why, size_t wl);
int cfg_set_scalar(weir_config *c, weir_cfg_key k, const char *text, weir_cfg_source src,
                   const char *origin, char *why, size_t wl);
const char *cfg_show(char *out, size_t outlen, const char *s);
void cfg_type_text(const cfg_def *d, char *out, size_t n);
void cfg_unknown_key(char *why, size_t wl, const char *path);

#endif

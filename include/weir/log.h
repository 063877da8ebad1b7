/*
 * weir structured logging: one JSON object per line on stderr
 * ({"time":…,"level":…,"msg":…, key: value …}), or a plain "level: msg key=value" line for
 * interactive commands (the demo). Fields are passed as NULL-terminated key/value string pairs,
 * so every value is escaped in one place.
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <stdarg.h>

typedef enum { WLOG_DEBUG = 0, WLOG_INFO, WLOG_WARN, WLOG_ERROR } wlog_level;
typedef enum { WLOG_JSON = 0, WLOG_TEXT } wlog_format;

void wlog_setup(wlog_level min_level, wlog_format format);
wlog_level wlog_min_level(void);

/* Parses "debug|info|warn|error" into *out; returns -1 on an unknown name. */
int wlog_level_parse(const char *name, wlog_level *out);

/*
 * wlog(level, msg, key1, val1, key2, val2, ..., NULL)
 * Thread-safe: the whole line is built in a stack buffer and written with one write(2).
 */
void wlog(wlog_level level, const char *msg, ...);
void wlogv(wlog_level level, const char *msg, va_list ap);

#endif

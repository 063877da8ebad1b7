/*
 * Structured logging. Lines are assembled in a fixed stack buffer and written with a single
 * write(2) so concurrent threads never interleave inside a line; an over-long line is cut and
 * marked rather than split.
 */
#include "weir/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WLOG_LINE_MAX 4096
#define WLOG_TAIL     32

static wlog_level log_min = WLOG_INFO;
static wlog_format log_fmt = WLOG_JSON;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void wlog_setup(wlog_level min_level, wlog_format format)
{
    log_min = min_level;
    log_fmt = format;
}

wlog_level wlog_min_level(void)
{
    return log_min;
}

int wlog_level_parse(const char *name, wlog_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (wlog_level)i;
            return 0;
        }
    }
    return -1;
}

typedef struct {
    char buf[WLOG_LINE_MAX];
    size_t len;
    int truncated;
} line_t;

static void put(line_t *l, const char *s, size_t n)
{
    /* keep room for the closing brace, the truncation marker and "\n" */
    if (l->truncated || l->len + n > sizeof(l->buf) - WLOG_TAIL) {
        l->truncated = 1; /* all or nothing: never cut an escape sequence in half */
        return;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line_t *l, const char *s)
{
    put(l, s, strlen(s));
}

/* JSON string body escaping; bytes >= 0x80 pass through (callers log UTF-8 or ASCII). */
static void put_escaped(line_t *l, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c == '\n') {
            put(l, "\\n", 2);
        } else if (c == '\t') {
            put(l, "\\t", 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(l, esc, 6);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
}

void wlogv(wlog_level level, const char *msg, va_list ap)
{
    if (level < log_min)
        return;
    line_t l = {.len = 0};
    struct timespec ts;
    struct tm tm;
    char tbuf[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t tn = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(tbuf + tn, sizeof(tbuf) - tn, ".%03ldZ", ts.tv_nsec / 1000000L);

    if (log_fmt == WLOG_JSON) {
        puts_(&l, "{\"time\":\"");
        puts_(&l, tbuf);
        puts_(&l, "\",\"level\":\"");
        puts_(&l, level_names[level]);
        puts_(&l, "\",\"msg\":\"");
        put_escaped(&l, msg);
        puts_(&l, "\"");
    } else {
        puts_(&l, "weir: ");
        if (level != WLOG_INFO) {
            puts_(&l, level_names[level]);
            puts_(&l, ": ");
        }
        puts_(&l, msg);
    }
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        if (!v)
            v = "";
        if (log_fmt == WLOG_JSON) {
            puts_(&l, ",\"");
            put_escaped(&l, k);
            puts_(&l, "\":\"");
            put_escaped(&l, v);
            puts_(&l, "\"");
        } else {
            puts_(&l, " ");
            puts_(&l, k);
            puts_(&l, "=");
            puts_(&l, v);
        }
    }
    const char *tail = log_fmt == WLOG_JSON ? (l.truncated ? ",\"truncated\":true}\n" : "}\n")
                                            : (l.truncated ? " [truncated]\n" : "\n");
    size_t tl = strlen(tail); /* < WLOG_TAIL, reserved by put() */
    memcpy(l.buf + l.len, tail, tl);
    l.len += tl;
    ssize_t w = write(STDERR_FILENO, l.buf, l.len);
    (void)w; /* nothing sensible to do if stderr is gone */
}

void wlog(wlog_level level, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    wlogv(level, msg, ap);
    va_end(ap);
}

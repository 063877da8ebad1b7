/*
 * Internals shared by event.c, normalize.c and the parse_*.c files: the event and parser
 * structs, the one tokenizer every delimited format uses, and each format family's entry point.
 * Nothing here is for modules outside the parser.
 */
#ifndef WEIR_PARSE_PRIV_H
#define WEIR_PARSE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "weir/event.h"

/* A #Fields line longer than this many columns is refused: HttpProxy, the widest known
 * Exchange log, has 74. */
#define PARSE_MAX_COLS 128
/* Slots of the per-parser name hash; a power of two well above names + aliases. */
#define PARSE_NAME_HASH 1024

/* ---- events ----------------------------------------------------------------------------- */

typedef struct ev_slot {
    weir_view raw, val;
    uint32_t gen; /* the field is set in this event iff gen == weir_event.gen */
} ev_slot;

struct weir_event {
    weir_view line; /* the whole line as given */
    size_t max_line;
    int status;
    const char *reason;
    char reason_buf[96]; /* reasons that name numbers are formatted here */
    weir_format format;
    bool truncated;
    /* A generation stamp per slot makes clearing the table O(1) per event. */
    uint32_t gen;
    size_t n;
    uint16_t order[WEIR_FIELD__COUNT];
    ev_slot slot[WEIR_FIELD__COUNT];
    /* 1: the field is parsed; weir_event_parse_only clears the ones nobody reads */
    uint8_t want[WEIR_FIELD__COUNT];
    /* Normalisation buffer: unquoted and normalised values, composed URIs. */
    char *buf;
    size_t cap, used;
};

void event_begin(weir_event *ev, const char *line, size_t len);
/* Drops every field and records why; returns WEIR_PARSE_MALFORMED. */
int event_malformed(weir_event *ev, const char *reason);
/* Same with a printf-style reason. */
int event_malformedf(weir_event *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets a field: raw and normalised views both (p, len). id < 0, and a field not wanted, are
 * ignored. */
void event_set(weir_event *ev, int id, const char *p, size_t len);
/* Whether the field is parsed (see weir_event_parse_only); false for id < 0. */
static inline bool event_wants(const weir_event *ev, int id)
{
    return id >= 0 && id < WEIR_FIELD__COUNT && ev->want[id];
}
/* The slot of a field that is set, or NULL. */
ev_slot *event_slot(weir_event *ev, int id);
/* Room for n bytes in the buffer, or NULL (and the event marked truncated). The bytes are
 * claimed by event_commit; until then the next reserve returns the same place. */
char *event_reserve(weir_event *ev, size_t n);
void event_commit(weir_event *ev, size_t n);

/* ---- field names ------------------------------------------------------------------------ */

/* The i-th entry of the name table (canonical names, then aliases); NULL past the end. */
const char *field_name_entry(size_t i, int *id);

/* ---- parsers ---------------------------------------------------------------------------- */

typedef struct parse_layout {
    int16_t col[PARSE_MAX_COLS]; /* field id per column; -1 for a column weir does not name */
    size_t ncols;
} parse_layout;

struct weir_parser {
    weir_format fmt;  /* as configured; WEIR_FMT_AUTO to detect */
    weir_format cur;  /* the format the last #Fields (or Export-Csv header) declared, or AUTO */
    weir_format hint; /* auto: what #Log-type / #Software announced, for the next #Fields */
    parse_layout layout; /* columns of the last #Fields, valid when cur != AUTO */
    parse_layout defaults[WEIR_FMT__COUNT]; /* documented layouts, for lines with no header */
    uint16_t names[PARSE_NAME_HASH];        /* name table index + 1; 0 = empty */
};

/* Field id a column or JSON key of this name feeds, or -1 (case-insensitive). Unlike
 * weir_field_lookup, the W3C column "cs-uri-query" feeds cs-uri-query-raw: the Sigma-facing
 * cs-uri-query is composed by normalize.c. */
int parse_column_field(const weir_parser *p, const char *name, size_t len);
/* Fills lay from a header's column names separated by delim (runs of spaces count as one for
 * ' '; names may be "quoted" for ','). Returns 0, or -1 with *reason set. */
int parse_layout_from_header(const weir_parser *p, parse_layout *lay, const char *s, size_t n,
                             char delim, const char **reason);

/* The documented column header of a columnar format (facts §2, §8), or NULL. */
const char *parse_default_header(weir_format f);
/* True for the formats whose columns a #Fields header declares. */
bool parse_is_columnar(weir_format f);
/* True for the comma-separated Exchange formats (columnar, not IIS). */
bool parse_is_exchange_csv(weir_format f);

/* ---- the shared tokenizer --------------------------------------------------------------- */

typedef enum tok_esc {
    TOK_ESC_DOUBLE,   /* a quote inside quotes is written twice (CSV, ECP '...') */
    TOK_ESC_BACKSLASH /* \" and \\ (Apache/nginx) */
} tok_esc;

typedef struct tok_spec {
    char delim;
    char quote;       /* 0: no quoting */
    char open, close; /* 0: no bracketed columns ([time] in combined) */
    tok_esc esc;
} tok_spec;

typedef struct tok {
    const char *p; /* contents, without the quotes or brackets */
    size_t len;
    bool quoted, bracketed;
    bool escaped; /* contains escapes: tok_value() must copy to resolve them */
} tok;

typedef struct tok_iter {
    const char *s;
    size_t n, pos;
    const tok_spec *spec;
    bool more; /* a column remains (possibly empty): set at start and after each delimiter */
} tok_iter;

void tok_init(tok_iter *it, const tok_spec *spec, const char *s, size_t n);
/* tok_next for a quoted or bracketed column, and tok_value for one with escapes. */
int tok_next_special(tok_iter *it, tok *t, const char **reason);
bool tok_value_escaped(weir_event *ev, const tok_spec *spec, const tok *t, weir_view *out);

/* After a column: step over the delimiter it stopped on; none means that was the last. */
static inline void tok_step(tok_iter *it)
{
    it->more = it->pos < it->n;
    if (it->more)
        it->pos++;
}

/*
 * Next column: 1 with *t filled, 0 at the end, -1 with *reason on a quoting error.
 * Inline for the plain column, which is nearly every column of every event: as a call per
 * column the function's entry and exit cost as much as finding the delimiter (callgrind).
 */
static inline int tok_next(tok_iter *it, tok *t, const char **reason)
{
    if (!it->more)
        return 0;
    const tok_spec *sp = it->spec;
    if (it->pos < it->n) {
        char c = it->s[it->pos];
        if ((sp->quote && c == sp->quote) || (sp->open && c == sp->open))
            return tok_next_special(it, t, reason);
    }
    /* Unquoted: runs to the delimiter. A quote inside is literal, as real logs have them
     * (ECP "S:EX=Can't ..."), and RFC 4180 leniency costs nothing here. */
    const char *start = it->s + it->pos;
    size_t left = it->n - it->pos, len = 0;
    /* an empty cell (HttpProxy has 74 columns, many empty) ends where it starts: no call */
    if (left && *start != sp->delim) {
        const char *d = (const char *)memchr(start, sp->delim, left);
        len = d ? (size_t)(d - start) : left;
    }
    t->p = start;
    t->len = len;
    t->quoted = t->bracketed = t->escaped = false;
    it->pos += t->len;
    tok_step(it);
    return 1;
}

/*
 * The fast path for a line with nothing to unquote: when spec has no brackets and s[0..n) no
 * quote character, writes the offsets of the first max delimiters to at and returns how many
 * delimiters there are in all (columns - 1, possibly more than max). -1 when the line has a
 * quote (or spec brackets): tokenize it column by column instead. Lines must be shorter than
 * 4 GB (events are capped far below).
 */
ptrdiff_t tok_split_plain(const tok_spec *spec, const char *s, size_t n, uint32_t *at,
                          size_t max);

/* What is left from the current position (for a last column that takes the rest). */
weir_view tok_rest(const tok_iter *it);

/* The column's value with escapes resolved: a view into the line when there are none, else a
 * copy in ev's buffer. False if the buffer is full (the event is then marked truncated). */
static inline bool tok_value(weir_event *ev, const tok_spec *spec, const tok *t, weir_view *out)
{
    if (t->escaped)
        return tok_value_escaped(ev, spec, t, out);
    out->p = t->p;
    out->len = t->len;
    return true;
}

/* ---- format families: each returns WEIR_PARSE_OK / HEADER / MALFORMED ---------------------- */

/* parse_w3c.c: IIS and the Exchange CSV logs. */
int parse_w3c_directive(weir_parser *p, const char *s, size_t n, weir_event *ev);
bool parse_w3c_is_csv_header(const char *s, size_t n);
int parse_w3c_csv_header(weir_parser *p, const char *s, size_t n, weir_event *ev);
int parse_w3c_line(weir_parser *p, weir_format f, const char *s, size_t n, weir_event *ev);
/* Auto: which Exchange CSV format a line without header is, by its column count. */
weir_format parse_w3c_guess_csv(const weir_parser *p, const char *s, size_t n);

int parse_syslog_line(const char *s, size_t n, weir_event *ev);
int parse_combined_line(const char *s, size_t n, weir_event *ev);
int parse_json_line(const weir_parser *p, const char *s, size_t n, weir_event *ev);

/* normalize.c: the semantic pass over a parsed event (decoding, '-', '+', composed URI). */
void parse_normalize(weir_event *ev, weir_format f);
/* normalize.c: adds to want the fields the wanted ones are made from (and, for the URI, the
 * ones made alongside them), so that what is derived from them is derived as before. */
void parse_want_sources(uint8_t *want);

#endif

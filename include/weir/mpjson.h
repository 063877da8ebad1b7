/*
 * msgpack → text for people: JSON (one object per line) and a compact one-line alert summary.
 */
#ifndef WEIR_MPJSON_H
#define WEIR_MPJSON_H

#include <msgpack.h>
#include <stdio.h>

/*
 * Writes obj as JSON. str and bin both become JSON strings: valid UTF-8 is kept, control
 * characters are escaped, and each byte of an invalid UTF-8 sequence is written as \u00XX
 * (so raw log bytes stay visible and the output stays valid JSON).
 */
void mpjson_write(FILE *fp, const msgpack_object *obj);

/* Writes s[0..n) as a JSON string literal (quotes included), with the escaping above. */
void mpjson_write_str(FILE *fp, const char *s, size_t n);

/* Looks up a string key in a map object; NULL if absent or obj is not a map. */
const msgpack_object *mpjson_map_get(const msgpack_object *obj, const char *key);

/*
 * One line per alert: "LEVEL title[; title…] | topic/partition@offset | raw (truncated)"
 * (the highest level of the matching rules; the rule id where a rule has no title).
 * Returns -1 if obj does not look like a weir alert.
 */
int mpjson_write_alert_compact(FILE *fp, const msgpack_object *alert, size_t max_raw);

#endif

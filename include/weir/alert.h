/*
 * The alert: what weir publishes for every event that matched, as a msgpack map with
 * ECS-style keys (documented in docs/alerts.md):
 *
 *   "@timestamp"         str  event time (Kafka message timestamp, else now), RFC 3339 UTC, ms
 *   "event.created"      str  when weir read the event (from Kafka, or from the file), same form
 *   "event.original"     bin  the raw event bytes, exactly as consumed
 *   "rules"              array of maps {"id","title","level","tags"}
 *   "fields"             map: the parsed fields the matching rules test, by ECS name where
 *                        one exists ("url.path", "user_agent.original"), normalised value
 *   "kafka"              map {"topic","partition","offset"}, or, for `weir scan`,
 *   "log.file.path"/"log.file.line" (str / 1-based int) instead
 *   "weir.rules_version" str  hash of the rule set that produced the alert
 */
#ifndef WEIR_ALERT_H
#define WEIR_ALERT_H

#include <msgpack.h>
#include <stdint.h>

#include "weir/engine.h"

typedef struct weir_alert_src {
    const char *topic; /* Kafka source ... */
    int32_t partition;
    int64_t offset;
    const char *file_path; /* ... or, when set, a file and 1-based line */
    uint64_t file_line;
    int64_t ts_ms;   /* < 0: unknown, use the current time */
    int64_t read_ms; /* when weir read the event (ms since the epoch); 0 or less: now */
} weir_alert_src;

/*
 * Encodes one alert into sb, which is cleared first and reused across calls (it only grows, so
 * steady state allocates nothing). Returns 0, or -1 if the buffer could not grow.
 */
int weir_alert_encode(msgpack_sbuffer *sb, const weir_engine *e, const weir_hits *hits,
                      const void *raw, size_t rawlen, const weir_alert_src *src);

/* Formats ms since the epoch as 2021-03-03T06:49:42.162Z into buf (>= 32 bytes). */
void weir_alert_format_time(int64_t ts_ms, char *buf, size_t buflen);

#endif

/*
 * Alert encoding with msgpack-c's packer onto a caller-owned, reused sbuffer.
 */
#include "weir/alert.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void weir_alert_format_time(int64_t ts_ms, char *buf, size_t buflen)
{
    if (ts_ms < 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    time_t sec = (time_t)(ts_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, buflen, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, buflen - n, ".%03dZ", (int)(ts_ms % 1000));
}

static int pack_cstr(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

int weir_alert_encode(msgpack_sbuffer *sb, const weir_ruleset *rs, const char *rules_version,
                      const weir_hits *hits, const void *raw, size_t rawlen,
                      const weir_alert_src *src)
{
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    char ts[40];
    weir_alert_format_time(src->ts_ms, ts, sizeof(ts));

    int e = msgpack_pack_map(&pk, 5);
    e = e || pack_cstr(&pk, "@timestamp") || pack_cstr(&pk, ts);
    e = e || pack_cstr(&pk, "event.original") || msgpack_pack_bin(&pk, rawlen) ||
        msgpack_pack_bin_body(&pk, raw, rawlen);
    e = e || pack_cstr(&pk, "rules") || msgpack_pack_array(&pk, hits->n);
    for (size_t i = 0; !e && i < hits->n; i++) {
        const weir_rule *r = &rs->rules[hits->rules[i]];
        e = msgpack_pack_map(&pk, 4);
        e = e || pack_cstr(&pk, "id") || pack_cstr(&pk, r->id);
        e = e || pack_cstr(&pk, "title") || pack_cstr(&pk, r->title);
        e = e || pack_cstr(&pk, "level") || pack_cstr(&pk, r->level);
        e = e || pack_cstr(&pk, "tags") || msgpack_pack_array(&pk, r->ntags);
        for (size_t t = 0; !e && t < r->ntags; t++)
            e = pack_cstr(&pk, r->tags[t]);
    }
    e = e || pack_cstr(&pk, "kafka") || msgpack_pack_map(&pk, 3);
    e = e || pack_cstr(&pk, "topic") || pack_cstr(&pk, src->topic ? src->topic : "");
    e = e || pack_cstr(&pk, "partition") || msgpack_pack_int32(&pk, src->partition);
    e = e || pack_cstr(&pk, "offset") || msgpack_pack_int64(&pk, src->offset);
    e = e || pack_cstr(&pk, "weir.rules_version") || pack_cstr(&pk, rules_version);
    return e ? -1 : 0;
}
